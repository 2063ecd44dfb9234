/**
 * `slipway <unknown>`: the error, with the nearest command (the platform file's edit-distance
 * helper). scripts/slipway.js runs it with the word typed and the commands it knows.
 */
import { suggest } from "../platform/model";

export function main([word, ...commands]: string[]): number {
  console.error(`slipway: unknown command ${JSON.stringify(word)}${suggest(word, commands)}; commands: ${commands.join(", ")} (slipway --help)`);
  return 2;
}
