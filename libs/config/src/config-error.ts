/** One thing wrong with a configuration: where, and what was expected instead. */
export interface ConfigIssue {
  /** The file the value came from, or `<defaults>` / `<--set>` when it came from elsewhere. */
  file: string;
  /** 1-based line in that file, when the value (or its nearest parent) is in it. */
  line?: number;
  /** Dotted path with indices, as an operator would write it: `pools[2].max`. */
  path: string;
  message: string;
}

/** Thrown by loadConfig; lists every issue found, not only the first. Exit code 2 by convention. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map(formatIssue).join('\n'), options);
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** ["pools", 2, "max"] → "pools[2].max" */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${key}` : key;
  }, '');
}
