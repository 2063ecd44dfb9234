/**
 * `compute` once per distinct argument (compared as JSON, `undefined` values included), for
 * fixtures a test file builds many times from the same inputs: a synthesized workflow, say.
 */
export function oncePerArgument<A, R>(compute: (argument: A) => R): (argument: A) => R {
  const results = new Map<string, R>();
  return (argument: A) => {
    const key = JSON.stringify(argument, (_, v) => (v === undefined ? "<undefined>" : v)) ?? "<undefined>";
    if (!results.has(key)) results.set(key, compute(argument));
    return results.get(key)!;
  };
}
