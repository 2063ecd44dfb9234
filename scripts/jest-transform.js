// Jest transformer: strips TypeScript types with esbuild (already a dependency for
// `npm run synth`). `tsc --noEmit` in `npm test` does the type-checking once, so
// each test file only pays for a fast syntax transform.
const { transformSync } = require("esbuild");
const { createHash } = require("node:crypto");
const { version } = require("esbuild/package.json");

module.exports = {
  process(sourceText, sourcePath) {
    const result = transformSync(sourceText, {
      loader: sourcePath.endsWith(".tsx") ? "tsx" : "ts",
      format: "cjs",
      target: "node20",
      sourcefile: sourcePath,
      sourcemap: "inline",
    });
    return { code: result.code };
  },
  getCacheKey(sourceText, sourcePath) {
    return createHash("sha256").update(version).update("\0").update(sourcePath).update("\0").update(sourceText).digest("hex");
  },
};
