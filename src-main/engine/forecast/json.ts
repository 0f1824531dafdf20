// Small validators for restoring model state from JSON: each throws an Error naming the field and reason.

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected an object`);
  return value as JsonObject;
}

export function expectKind(obj: JsonObject, kind: string): void {
  if (obj.kind !== kind) throw new Error(`${kind}: expected kind "${kind}", got ${JSON.stringify(obj.kind)}`);
}

export function finite(obj: JsonObject, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: field "${key}" must be a finite number`);
  return v;
}

export function finiteOrNull(obj: JsonObject, key: string, what: string): number | null {
  const v = obj[key];
  if (v === null || v === undefined) return null;
  return finite(obj, key, what);
}

export function finiteArray(obj: JsonObject, key: string, what: string, length?: number): number[] {
  const v = obj[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${what}: field "${key}" must be an array of finite numbers`);
  }
  if (length !== undefined && v.length !== length) throw new Error(`${what}: field "${key}" must have ${length} entries, got ${v.length}`);
  return v as number[];
}

export function integerIn(obj: JsonObject, key: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = finite(obj, key, what);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${what}: field "${key}" must be an integer in [${min}, ${max}]`);
  return v;
}

export function checkParam(ok: boolean, what: string, message: string): void {
  if (!ok) throw new Error(`${what}: ${message}`);
}
