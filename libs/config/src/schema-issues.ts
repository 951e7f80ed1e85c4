import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { Settings } from 'typebox/system';

/** A schema violation at a path, worded for people: `expected integer >= 1, got "ten"`. */
export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

interface RawError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const cache = new WeakMap<TSchema, Validator>();

// TypeBox buffers 8 raw errors by default (a union of three literals alone takes four), which
// silently dropped issues; still bounded, because request bodies from the bus pass through here too
const maxRawErrors = 1_000;

/** A compiled validator for a schema, compiled once per schema object. */
export function validatorFor(schema: TSchema): Validator {
  let validator = cache.get(schema);
  if (!validator) {
    validator = Compile(schema);
    cache.set(schema, validator);
  }
  return validator;
}

/**
 * Every way `value` breaks `schema`, each with a path and a sentence that names what was
 * expected and what was found. Union branches collapse into one "expected one of" line.
 */
export function schemaIssues(schema: TSchema, value: unknown): SchemaIssue[] {
  const validator = validatorFor(schema);
  if (validator.Check(value)) return [];
  const errors = allErrors(validator, value);
  const unionPaths = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath);
  const issues: SchemaIssue[] = [];
  for (const error of errors) {
    // an error inside a union branch is summarised by the union's own error
    if (unionPaths.some((p) => error.schemaPath.startsWith(`${p}/anyOf/`) || error.schemaPath.startsWith(`${p}/oneOf/`)))
      continue;
    // additionalProperties:false also reports a bare "schema is false" per key; the keyword error says it better
    if (error.keyword === 'boolean') continue;
    const path = pointerToPath(error.instancePath);
    const got = valueAt(value, path);
    issues.push(...describe(schema, error, path, got, errors));
  }
  return issues;
}

function allErrors(validator: Validator, value: unknown): RawError[] {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: Math.max(previous, maxRawErrors) });
  try {
    return [...validator.Errors(value)] as RawError[];
  } finally {
    Settings.Set({ maxErrors: previous });
  }
}

function describe(
  root: TSchema,
  error: RawError,
  path: (string | number)[],
  got: unknown,
  all: RawError[],
): SchemaIssue[] {
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return ((p['requiredProperties'] as string[] | undefined) ?? []).map((key) => ({
        path: [...path, key],
        message: 'is required but missing',
      }));
    case 'additionalProperties': {
      const properties = (schemaAt(root, error.schemaPath) as { properties?: object } | undefined)?.properties;
      const allowed = Object.keys(properties ?? {});
      const hint = allowed.length > 0 ? ` (expected one of: ${allowed.join(', ')})` : '';
      return ((p['additionalProperties'] as string[] | undefined) ?? []).map((key) => ({
        path: [...path, key],
        message: `unknown key${hint}`,
      }));
    }
    case 'anyOf':
    case 'oneOf': {
      const options = all
        .filter(
          (e) =>
            e.keyword === 'const' &&
            e.instancePath === error.instancePath &&
            e.schemaPath.startsWith(`${error.schemaPath}/${error.keyword}/`),
        )
        .map((e) => JSON.stringify(e.params['allowedValue']));
      const expected = options.length > 0 ? `one of ${options.join(', ')}` : 'a value matching one of the allowed forms';
      return [{ path, message: `expected ${expected}, got ${show(got)}` }];
    }
    case 'enum':
      return [
        {
          path,
          message: `expected one of ${((p['allowedValues'] as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}, got ${show(got)}`,
        },
      ];
    case 'const':
      return [{ path, message: `expected ${JSON.stringify(p['allowedValue'])}, got ${show(got)}` }];
    case 'type':
      return [{ path, message: `expected ${String(p['type'])}, got ${show(got)}` }];
    default:
      return [{ path, message: `${error.message.replace(/^must (be )?/, 'expected ')}, got ${show(got)}` }];
  }
}

// the sub-schema a schemaPath ("#/properties/nats") points at
function schemaAt(root: TSchema, schemaPath: string): unknown {
  let current: unknown = root;
  for (const key of pointerToPath(schemaPath.replace(/^#/, ''))) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** A short rendering of a found value for error text. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
