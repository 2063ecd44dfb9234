/**
 * Defaults laid under what a platform file sets, in the file's own shape: the one mechanism by
 * which profile defaults reach the model. A key the file leaves unset takes the default; objects
 * merge key by key; a list or a scalar the file sets replaces the default whole.
 *
 * The types follow the values: {@link WithDefaults} of the schema's parsed type and a defaults
 * object is the parsed type with every defaulted key made required. So a new key with a profile
 * default costs its schema line and its default line, and the model's type follows by itself.
 */

/** A type spelled out as one object (for editors and the API reference), not as an intersection. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What may serve as defaults of `T`: any of its keys, deeply, lists read-only (`as const` objects fit). */
export type DefaultsOf<T> = { readonly [K in keyof T]?: DefaultValue<Exclude<T[K], undefined>> };
type DefaultValue<V> = V extends readonly (infer E)[] ? readonly E[] : V extends object ? DefaultsOf<V> : V;

/**
 * `Written` (the schema's parsed type) with defaults `Defaults` laid under it: each key that
 * `Defaults` holds is required, objects deeply; every other key stays as written (optional keys
 * stay optional).
 */
export type WithDefaults<Written, Defaults> = Simplify<
  {
    readonly [K in keyof Written as K extends keyof Defaults ? K : never]-?: K extends keyof Defaults ? Defaulted<Written[K], Defaults[K]> : never;
  } & {
    readonly [K in keyof Written as K extends keyof Defaults ? never : K]: Written[K];
  }
>;

/** One key's resolved type: lists and scalars as written, objects merged again. */
type Defaulted<Written, Default> = [Exclude<Written, undefined>] extends [readonly unknown[]]
  ? Exclude<Written, undefined>
  : [Exclude<Written, undefined>] extends [object]
    ? [Default] extends [object]
      ? WithDefaults<Exclude<Written, undefined>, Default>
      : Exclude<Written, undefined>
    : Exclude<Written, undefined>;

/**
 * `written` over `defaults`: an unset (undefined) key takes the default, plain objects merge key
 * by key, anything else the file sets wins whole. The defaults are copied, never shared, so a
 * resolved model can be changed without changing the defaults of the next one.
 */
export function withDefaults<Written, Defaults>(written: Written, defaults: Defaults): WithDefaults<Written, Defaults> {
  return merge(written, defaults) as WithDefaults<Written, Defaults>;
}

function merge(written: unknown, fallback: unknown): unknown {
  if (written === undefined) return copy(fallback);
  if (!isPlainObject(written) || !isPlainObject(fallback)) return written;
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(written), ...Object.keys(fallback)])) {
    const value = merge(written[key], fallback[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A copy of plain data (not structuredClone, whose objects come from another realm under jest's vm). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
