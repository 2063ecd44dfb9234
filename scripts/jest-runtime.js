// Jest runtime (jest.config.js `runtime`): jest's own, except that each module is compiled once
// per worker and the compiled script is run again in the next test file's context.
//
// Every test file gets a fresh module registry, so cdktf and the providers are loaded again per
// file (about 600 files; the Kubernetes provider's structs alone are 10 MB). Jest compiles each one
// with `vm.compileFunction` and an `importModuleDynamically` callback; on Node 20 that is never
// found in V8's compilation cache, so every test file compiled all of them again: about 0.35 s of
// CPU per file that imports the stacks, most of what an almost empty test file cost, plus the lazy
// compilation of every function it then called. A `vm.Script` is compiled once and can run in any
// context: each test file still gets its own module instances, globals and registry (the script
// is run in that file's context), but the bytecode, functions included, is V8's from the first
// file. The module wrapper is jest's (the same parameters, `this`, filename, and line numbers: the
// wrapper sits on a line of its own, `lineOffset: -1`). A module whose code has an `import(` keeps
// jest's own compilation, since a dynamic import needs jest's callback.
//
// Files below node_modules do not change during a run: their text is read once per worker.
const path = require("node:path");
const vm = require("node:vm");
const Runtime = require("jest-runtime").default;

/** A dynamic `import(` (or anything that reads like one: such a module keeps jest's compilation). */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
/** node_modules file -> its text, for the worker's lifetime. */
const dependencyText = new Map();
/** file -> the script compiled from its (transformed) code, for the worker's lifetime. */
const compiled = new Map();

class ReusingRuntime extends Runtime {
  readFile(filename) {
    if (!filename.includes(NODE_MODULES)) return super.readFile(filename);
    let text = dependencyText.get(filename);
    if (text === undefined) {
      text = super.readFile(filename);
      dependencyText.set(filename, text);
    }
    return text;
  }

  createScriptFromCode(scriptSource, filename) {
    let entry = compiled.get(filename);
    if (entry === undefined || entry.source !== scriptSource) {
      const dynamicImport = DYNAMIC_IMPORT.test(scriptSource);
      const wrapped = `(function (${this.constructInjectedModuleParameters().join(", ")}) {\n${scriptSource}\n})`;
      entry = { source: scriptSource, script: dynamicImport ? undefined : new vm.Script(wrapped, { filename, lineOffset: -1 }) };
      compiled.set(filename, entry);
    }
    if (entry.script === undefined) return super.createScriptFromCode(scriptSource, filename);
    const vmContext = this._environment.getVmContext();
    if (vmContext == null) return null;
    return entry.script.runInContext(vmContext);
  }
}

module.exports = ReusingRuntime;
