import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEc2Fake, type Ec2Fake } from './index.js';

// The fake's own edges, where no SDK stands in between: what an unsigned or badly signed
// request gets back, in the error document the EC2 API reference gives.
let fake: Ec2Fake;

beforeAll(async () => {
  fake = await startEc2Fake();
});

afterAll(async () => {
  await fake?.close();
});

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(fake.url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: res.status, text: await res.text() };
}

describe('ec2 fake', () => {
  it('refuses an unsigned request with the Query API error document', async () => {
    const { status, text } = await post('Action=DescribeInstances&Version=2016-11-15');
    expect(status).toBe(401);
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
    expect(fake.callsOf('DescribeInstances').map((c) => c.status)).toEqual([401]);
  });

  it('refuses an Authorization header that is not a well-formed Signature Version 4', async () => {
    const { status, text } = await post('Action=DescribeInstances&Version=2016-11-15', { authorization: 'AWS4-HMAC-SHA256 Credential=nonsense' });
    expect(status).toBe(400);
    expect(text).toContain('<Code>IncompleteSignature</Code>');
  });
});
