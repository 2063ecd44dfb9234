/** App skeletons: the template loader, the image contract the template keeps, and how the delivery stack commits it. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { KubernetesWorkload } from "../../constructs/kubernetes-workload";
import {
  DEFAULT_SKELETON_TEMPLATE,
  listSkeletonTemplates,
  loadSkeletonTemplate,
  renderSkeleton,
  SKELETON_MANIFEST,
  SKELETON_PLACEHOLDERS,
  SkeletonValues,
  skeletonTemplatesDirectory,
} from "../../constructs/skeleton";
import { SourceRepository } from "../../constructs/source-repository";
import { SlipwayValidationError } from "../../constructs/util";
import { EXAMPLE_FILE, examplePlatform, ROOT, synthAll, tempDir } from "../support/platform";

type Json = Record<string, any>;

const HELLO: SkeletonValues = { appName: "hello", port: 8080, healthPath: "/healthz" };
const TEMPLATES = path.join(ROOT, "templates");

/** The template's files as git tracks them, in repository names (`gitignore` is committed as `.gitignore`). */
function trackedFiles(template: string): string[] {
  const dir = path.join("templates", template);
  return execFileSync("git", ["ls-files", dir], { cwd: ROOT })
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((f) => path.relative(dir, f))
    .filter((f) => f !== SKELETON_MANIFEST)
    .map((f) => (path.basename(f) === "gitignore" ? path.join(path.dirname(f), ".gitignore").replace(/^\.\//, "") : f))
    .sort();
}

/** A template folder in a temporary directory, for failure cases. */
function fakeTemplate(files: Record<string, string | Buffer>, manifest: unknown = { description: "fake", staticDirectory: "/app/static", commands: { test: "true" } }): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "fake"));
  fs.writeFileSync(path.join(dir, "fake", SKELETON_MANIFEST), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, "fake", file)), { recursive: true });
    fs.writeFileSync(path.join(dir, "fake", file), content);
  }
  return dir;
}

function expectSkeletonError(run: () => unknown, field: string, accepted: RegExp, where: string | RegExp = "skeleton"): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SlipwayValidationError);
  const e = error as SlipwayValidationError;
  expect(e.field).toBe(field);
  if (typeof where === "string") expect(e.path).toBe(where);
  else expect(e.path).toMatch(where);
  expect(e.message).toMatch(accepted);
}

describe("the template loader", () => {
  test("finds the package's templates folder, with the python template the delivery stack uses by default", () => {
    expect(skeletonTemplatesDirectory()).toBe(TEMPLATES);
    expect(listSkeletonTemplates()).toContain("python");
    expect(DEFAULT_SKELETON_TEMPLATE).toBe("python");
    const python = loadSkeletonTemplate("python");
    expect(python.commands).toEqual({ test: "python -m pytest -q tests/unit", migrate: "python -m migrate", integrationTest: "python -m pytest -q tests/integration" });
    expect(python.staticDirectory).toBe("/app/static");
  });

  test("renders every file of each template git tracks, and leaves no placeholder", () => {
    for (const template of listSkeletonTemplates()) {
      const files = renderSkeleton(template, HELLO);
      expect(Object.keys(files)).toEqual(trackedFiles(template));
      expect(loadSkeletonTemplate(template).files).toEqual(trackedFiles(template));
      for (const [file, content] of Object.entries(files)) {
        expect({ file, leftover: content.match(/\{\{\s*slipway[^}]*\}\}/g) }).toEqual({ file, leftover: null });
      }
    }
  });

  test("replaces each placeholder with its value; every placeholder is used by the python template", () => {
    const raw = trackedFiles("python").map((f) => fs.readFileSync(path.join(TEMPLATES, "python", path.basename(f) === ".gitignore" ? f.replace(/\.gitignore$/, "gitignore") : f), "utf8")).join("\n");
    for (const key of SKELETON_PLACEHOLDERS) expect(raw).toContain(`{{slipway.${key}}}`);
    const files = renderSkeleton("python", { appName: "orders", port: 9090, healthPath: "/ready", staticPath: "/assets/*" });
    expect(files["Dockerfile"]).toMatch(/^EXPOSE 9090$/m);
    expect(files["gunicorn.conf.py"]).toContain(`os.environ.get('PORT', '9090')`);
    expect(files["web/__init__.py"]).toContain(`APP_NAME = "orders"`);
    expect(files["web/__init__.py"]).toContain(`HEALTH_PATH = "/ready"`);
    expect(files["web/__init__.py"]).toContain(`STATIC_URL_PATH = "/assets"`);
    expect(files["tests/integration/test_live.py"]).toContain(`STATIC_URL_PATH = "/assets"`);
    expect(files["migrations/0001_create_greetings.sql"]).toContain("'Hello from orders'");
  });

  test("keeps `.gitignore` as `gitignore` in the package (npm drops .gitignore files) and commits it under its real name", () => {
    expect(fs.existsSync(path.join(TEMPLATES, "python", "gitignore"))).toBe(true);
    expect(fs.existsSync(path.join(TEMPLATES, "python", ".gitignore"))).toBe(false);
    expect(renderSkeleton("python", HELLO)[".gitignore"]).toContain("__pycache__/");
  });

  test("the package ships the templates folder (library/pack.test.ts checks the packed files)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.files).toContain("templates");
  });

  test("fails on an unknown placeholder, naming the file and line", () => {
    const dir = fakeTemplate({ "app.txt": "first {{slipway.appName}}\nsecond {{slipway.appname}}\n" });
    expectSkeletonError(() => renderSkeleton("fake", HELLO, { templatesDirectory: dir }), "placeholder", /"\{\{slipway\.appname\}\}" is invalid: one of \{\{slipway\.appName\}\}/, `${path.join(dir, "fake", "app.txt")}:2`);
  });

  test("fails on a file that is not UTF-8 text", () => {
    const dir = fakeTemplate({ "logo.bin": Buffer.from([0xff, 0xfe, 0x00, 0x81]) });
    expect(() => renderSkeleton("fake", HELLO, { templatesDirectory: dir })).toThrow(/logo\.bin: not UTF-8 text/);
  });

  test("fails on an unknown template, listing the available ones", () => {
    expectSkeletonError(() => renderSkeleton("cobol", HELLO), "template", /"cobol" is invalid: one of the templates in .*: python/);
  });

  test("fails on a manifest without a test command or static directory, naming the manifest", () => {
    const noTest = fakeTemplate({}, { description: "fake", staticDirectory: "/app/static", commands: {} });
    expectSkeletonError(() => loadSkeletonTemplate("fake", noTest), "commands.test", /a non-empty shell command/, path.join(noTest, "fake", SKELETON_MANIFEST));
    const noStatic = fakeTemplate({}, { description: "fake", commands: { test: "true" } });
    expectSkeletonError(() => loadSkeletonTemplate("fake", noStatic), "staticDirectory", /absolute directory in the image/, path.join(noStatic, "fake", SKELETON_MANIFEST));
    const broken = fakeTemplate({}, "{ not json");
    expect(() => loadSkeletonTemplate("fake", broken)).toThrow(/slipway-template\.json: not valid JSON/);
  });

  test.each([
    [{ appName: "Orders_API" }, "appName", /a DNS label/],
    [{ port: 0 }, "port", /from 1 to 65535/],
    [{ port: 80.5 }, "port", /from 1 to 65535/],
    [{ healthPath: "healthz" }, "healthPath", /starting with '\/'/],
    [{ healthPath: "/health z" }, "healthPath", /starting with '\/'/],
    [{ healthPath: "/" }, "healthPath", /not \/ \(the home page\)/],
    [{ healthPath: "/static/health" }, "healthPath", /not under \/static\//],
    [{ staticPath: "/*" }, "staticPath", /one or more segments ending in '\/\*'/],
    [{ staticPath: "/static" }, "staticPath", /ending in '\/\*'/],
    [{ staticPath: "/static*" }, "staticPath", /ending in '\/\*'/],
  ] as [Partial<SkeletonValues>, string, RegExp][])("fails when %j, naming %s", (change, field, accepted) => {
    expectSkeletonError(() => renderSkeleton("python", { ...HELLO, ...change }), field, accepted);
  });
});

describe("the python template keeps the image contract", () => {
  const files = renderSkeleton("python", HELLO);
  const dockerfile = files["Dockerfile"];
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

  test("every base image is pinned by digest", () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]).filter((image) => !["base", "dependencies"].includes(image));
    expect(bases.length).toBeGreaterThan(0);
    for (const image of bases) expect(image).toMatch(/^python:[0-9.]+-slim-[a-z]+@sha256:[0-9a-f]{64}$/);
  });

  test("runs as the pod's non-root UID and GID (the workload's runAsUser, runAsGroup and fsGroup)", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    new KubernetesWorkload(stack, "Workload", { name: "hello", image: "hello:1", port: 8080, healthPath: "/healthz", replicas: { min: 1, max: 2 }, nodePort: 30080, ingressFromCidrs: ["10.0.0.0/24"] });
    const tf: Json = JSON.parse(Testing.synth(stack));
    const pod = Object.values<Json>(tf.resource.kubernetes_deployment_v1)[0].spec.template.spec;
    const user = /^USER (\d+):(\d+)$/m.exec(finalStage);
    expect(user).not.toBeNull();
    expect([user![1], user![2], user![2]]).toEqual([pod.security_context.run_as_user, pod.security_context.run_as_group, pod.security_context.fs_group]);
    expect(finalStage).toContain(`--uid ${user![1]} --gid ${user![2]}`);
    expect(pod.container[0].security_context.read_only_root_filesystem).toBe(true);
    expect(pod.container[0].volume_mount).toEqual([expect.objectContaining({ mount_path: "/tmp" })]);
  });

  test("writes nothing outside /tmp: no bytecode, gunicorn's worker files and HOME in /tmp, no pytest cache", () => {
    expect(dockerfile).toMatch(/PYTHONDONTWRITEBYTECODE=1/);
    expect(finalStage).toMatch(/HOME=\/tmp/);
    expect(finalStage).toMatch(/TMPDIR=\/tmp/);
    expect(files["gunicorn.conf.py"]).toMatch(/^worker_tmp_dir = "\/tmp"$/m);
    expect(files["pytest.ini"]).toMatch(/^addopts = -p no:cacheprovider$/m);
  });

  test("exposes the app's port, starts gunicorn without a shell entrypoint, and carries no installer", () => {
    expect(finalStage).toMatch(/^EXPOSE 8080$/m);
    expect(finalStage).toMatch(/^CMD \["gunicorn", "--config", "\/app\/gunicorn.conf.py", "web:create_app\(\)"\]$/m);
    // The pipeline runs `docker run --entrypoint /bin/sh IMAGE -c "$TEST_COMMAND"`: no ENTRYPOINT to fight.
    expect(dockerfile).not.toMatch(/^ENTRYPOINT/m);
    expect(finalStage).toContain("python -m pip uninstall --yes pip");
    expect(dockerfile).toContain("/opt/venv/bin/pip uninstall --yes pip");
  });

  test("the example platform file runs the template's test and migrate commands", () => {
    const template = loadSkeletonTemplate("python");
    const hello = parse(fs.readFileSync(EXAMPLE_FILE, "utf8")).apps.find((a: Json) => a.name === "hello");
    expect(hello.test).toBe(template.commands.test);
    expect(hello.migrate).toBe(template.commands.migrate);
  });
});

describe("SourceRepository skeletonFiles", () => {
  function synth(skeletonFiles: Record<string, string>, extend: (repo: SourceRepository) => void = () => undefined, validate = false): Json {
    const stack = new TerraformStack(Testing.app(), "test");
    const repo = new SourceRepository(stack, "Repo", { name: "orders", owner: "acme", defaultBranch: "trunk", skeletonFiles });
    extend(repo);
    return JSON.parse(Testing.synth(stack, validate));
  }

  test("commits each file once: never overwriting a file that exists, never changing it on a later apply", () => {
    const tf = synth({ "b.txt": "bee", "a/x.py": "print('${HOME} %{x}')\n" });
    const files = Object.values<Json>(tf.resource.github_repository_file);
    expect(files.map((f) => f.file)).toEqual(["a/x.py", "b.txt"]);
    for (const file of files) {
      expect(file).toMatchObject({
        repository: expect.stringMatching(/^\$\{github_repository\.Repo_[0-9A-F]+\.name\}$/),
        branch: "trunk",
        overwrite_on_create: false,
        lifecycle: { ignore_changes: "all" },
        commit_author: "slipway",
        commit_message: `Add ${file.file} from the Slipway app skeleton`,
      });
    }
    // Data, not a Terraform template.
    expect(files[0].content).toBe("print('$${HOME} %%{x}')\n");
  });

  test("commits the files one after another, after the default branch exists and before the ruleset", () => {
    const tf = synth({ "one.txt": "1", "two.txt": "2", "three.txt": "3" });
    const byName = Object.fromEntries(Object.entries<Json>(tf.resource.github_repository_file).map(([id, f]) => [f.file, { id, ...f }]));
    expect(byName["one.txt"].depends_on).toEqual([expect.stringMatching(/^github_branch_default\./)]);
    expect(byName["three.txt"].depends_on).toEqual([`github_repository_file.${byName["one.txt"].id}`]);
    expect(byName["two.txt"].depends_on).toEqual([`github_repository_file.${byName["three.txt"].id}`]);
    const [ruleset] = Object.values<Json>(tf.resource.github_repository_ruleset);
    for (const f of Object.values<Json>(byName)) expect(ruleset.depends_on).toContain(`github_repository_file.${f.id}`);
  });

  test("adds nothing without skeleton files", () => {
    expect(synth({}).resource.github_repository_file).toBeUndefined();
  });

  test.each(["", "../x", "a//b", ".git/config", "./a"])("fails on the path %j", (bad) => {
    expectSkeletonError(() => synth({ [bad]: "x" }), `skeletonFiles[${JSON.stringify(bad)}]`, /a literal relative file path without empty, '\.' or '\.\.' segments and outside \.git/, "test/Repo");
  });

  test("fails when a managed file (addFile) has a skeleton file's path", () => {
    expect(() => synth({ "README.md": "hello" }, (repo) => repo.addFile("README.md", "managed"), true)).toThrow(/"README\.md" is both a skeleton file \(created once\) and a managed file/);
  });
});

describe("the delivery stack", () => {
  test("commits the python skeleton rendered with the app's name, port, health path and static path", () => {
    const stacks = synthAll(examplePlatform((doc) => (doc.apps[0].staticPath = "/assets/*")));
    const committed = Object.values<Json>(stacks["hello-delivery"].resource.github_repository_file).filter((f) => f.lifecycle?.ignore_changes === "all");
    const expected = renderSkeleton("python", { appName: "hello", port: 8080, healthPath: "/healthz", staticPath: "/assets/*" });
    expect(Object.fromEntries(committed.map((f) => [f.file, f.content.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")]))).toEqual(expected);
    for (const f of committed) expect(f).toMatchObject({ branch: "main", overwrite_on_create: false });
  });

  test("fails when the app's health path is one the skeleton cannot serve, naming the app's repository", () => {
    expectSkeletonError(
      () => synthAll(examplePlatform((doc) => (doc.apps[0].healthPath = "/"))),
      "healthPath",
      /not \/ \(the home page\)/,
      "hello-delivery/Repository (app skeleton python)",
    );
  });
});
