/** The namespace of every EC2 Query API answer of API version 2016-11-15. */
export const ec2Namespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A piece of XML, already escaped; plain strings passed to el() are escaped as text. */
export class Xml {
  constructor(readonly text: string) {}
}

export type XmlChild = Xml | string | number | boolean | undefined;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `<name>children</name>`; undefined children are left out, so optional members simply vanish. */
export function el(name: string, ...children: XmlChild[]): Xml {
  const inner = children.map((c) => (c === undefined ? '' : c instanceof Xml ? c.text : escape(String(c)))).join('');
  return new Xml(`<${name}>${inner}</${name}>`);
}

/** An EC2 list: `<nameSet><item>…</item>…</nameSet>` (the Query API's wrapped, `item`-named members). */
export function set<T>(name: string, values: readonly T[], item: (value: T) => XmlChild[]): Xml {
  return el(name, ...values.map((v) => el('item', ...item(v))));
}

/** The whole answer document of `action`: `<ActionResponse xmlns=…><requestId/>…</ActionResponse>`. */
export function response(action: string, requestId: string, ...members: XmlChild[]): string {
  const body = el('requestId', requestId).text + members.map((m) => (m instanceof Xml ? m.text : '')).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ec2Namespace}">${body}</${action}Response>`;
}

/** The Query API's error document (API reference, "Error codes": the same shape for every action). */
export function errorResponse(code: string, message: string, requestId: string): string {
  const errors = el('Errors', el('Error', el('Code', code), el('Message', message)));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('Response', errors, el('RequestID', requestId)).text}`;
}
