import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { schemaIssues, show, validatorFor } from './schema-issues.js';

const Machine = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    disk: Type.Object({ sizeGb: Type.Integer(), kind: Type.String() }),
    nics: Type.Array(Type.Object({ mac: Type.String() })),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

describe('schemaIssues', () => {
  it('finds nothing wrong with a valid value', () => {
    expect(schemaIssues(Machine, { id: 'm-1', type: 'gpu', disk: { sizeGb: 20, kind: 'ssd' }, nics: [] })).toEqual([]);
  });

  it('reports each missing required field at its own path', () => {
    expect(schemaIssues(Machine, { disk: { kind: 'ssd' }, nics: [{ mac: 'x' }, {}] })).toEqual([
      { path: ['id'], message: 'is required but missing' },
      { path: ['type'], message: 'is required but missing' },
      { path: ['disk', 'sizeGb'], message: 'is required but missing' },
      { path: ['nics', 1, 'mac'], message: 'is required but missing' },
    ]);
  });

  it('does not require an optional field', () => {
    const issues = schemaIssues(Machine, { id: 'm', type: 't', disk: { sizeGb: 1, kind: 'k' }, nics: [] });
    expect(issues.map((i) => i.path)).not.toContainEqual(['note']);
  });

  it('names the allowed keys when it meets an unknown one', () => {
    const value = { id: 'm', type: 't', disk: { sizeGb: 1, kind: 'k' }, nics: [], colour: 'red' };
    expect(schemaIssues(Machine, value)).toEqual([
      { path: ['colour'], message: 'unknown key (expected one of: id, type, disk, nics, note)' },
    ]);
  });

  it('collapses a union of literals into one "expected one of" line per bad value', () => {
    const Levels = Type.Array(Type.Union([Type.Literal('a'), Type.Literal('b')]));
    expect(schemaIssues(Levels, ['x', 'a', 'y'])).toEqual([
      { path: [0], message: 'expected one of "a", "b", got "x"' },
      { path: [2], message: 'expected one of "a", "b", got "y"' },
    ]);
  });

  it('describes a failed union of shapes without listing each branch', () => {
    const Url = Type.Union([Type.String(), Type.Array(Type.String())]);
    expect(schemaIssues(Type.Object({ url: Url }), { url: 5 })).toEqual([
      { path: ['url'], message: 'expected a value matching one of the allowed forms, got 5' },
    ]);
  });

  it('reports every issue of a badly broken value, beyond the validator\'s default buffer', () => {
    const value = { nics: Array.from({ length: 20 }, () => ({ mac: 1 })) };
    const issues = schemaIssues(Machine, value);
    expect(issues.filter((i) => i.path[0] === 'nics')).toHaveLength(20);
    expect(issues.map((i) => i.path[0])).toEqual(expect.arrayContaining(['id', 'type', 'disk']));
  });

  it('compiles each schema once', () => {
    expect(validatorFor(Machine)).toBe(validatorFor(Machine));
  });
});

describe('show', () => {
  it('renders found values briefly', () => {
    expect(show(undefined)).toBe('nothing');
    expect(show(null)).toBe('null');
    expect(show([1])).toBe('a list');
    expect(show({ a: 1 })).toBe('a mapping');
    expect(show('x'.repeat(100))).toMatch(/^"x{56}\.\.\.$/);
  });
});
