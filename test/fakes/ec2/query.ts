/**
 * The parameters of one Query API request (`Action=…&Version=…&InstanceId.1=…`), with readers
 * for the Query API's numbered lists (`Name.1`, `Name.2`, …) and structures (`Name.1.Key`).
 */
export class QueryParams {
  constructor(readonly values: ReadonlyMap<string, string>) {}

  static parse(body: string): QueryParams {
    return new QueryParams(new Map(new URLSearchParams(body)));
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** `Name.1`, `Name.2`, … in order (the API numbers from 1; a gap ends the list). */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; this.values.has(`${name}.${i}`); i += 1) out.push(this.values.get(`${name}.${i}`) ?? '');
    return out;
  }

  /** `Name.1.*`, `Name.2.*`, … as sub-parameters, each read like a request of its own. */
  structs(name: string): QueryParams[] {
    const byIndex = new Map<number, Map<string, string>>();
    const prefix = `${name}.`;
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const dot = rest.indexOf('.');
      if (dot < 0) continue;
      const index = Number(rest.slice(0, dot));
      if (!Number.isInteger(index) || index < 1) continue;
      const members = byIndex.get(index) ?? new Map<string, string>();
      members.set(rest.slice(dot + 1), value);
      byIndex.set(index, members);
    }
    return [...byIndex.keys()].sort((a, b) => a - b).map((i) => new QueryParams(byIndex.get(i) ?? new Map()));
  }

  /** `Name.N.Key` / `Name.N.Value` pairs as a record. */
  tags(name: string): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const tag of this.structs(name)) tags[tag.get('Key') ?? ''] = tag.get('Value') ?? '';
    return tags;
  }

  /** Everything but the listed names, as a stable text: what makes two requests "the same request". */
  fingerprint(leaveOut: readonly string[]): string {
    return [...this.values]
      .filter(([key]) => !leaveOut.includes(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
  }
}
