/**
 * docs/platform-file.md, the platform-file reference, is generated from the zod schema (through its
 * JSON Schema) and the model's profile defaults by `npm run schema`. These tests keep it fresh,
 * keep every key described (editors show the descriptions through the JSON Schema), and keep
 * each description's `@default` true where the profiles differ.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { JsonSchemaNode, PLATFORM_FILE_DOC, profileDefaults, renderPlatformFileDoc, renderSchema, schemaKeys, splitDescription } from "../../cli/schema";
import { PROFILE_DEFAULTS } from "../../platform/model";
import { ROOT } from "../support/platform";

const doc = renderPlatformFileDoc();
const keys = schemaKeys();

/** The table row of one key (its path relative to its section), split into cells. */
function row(section: string, key: string): string[] {
  const part = doc.split(/^## /m).find((s) => s.startsWith(section));
  expect(part).toBeDefined();
  const line = part!.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
  expect({ key, line }).toEqual({ key, line: expect.any(String) });
  return line!
    .slice(2, -2)
    .split(/ (?<!\\)\| /)
    .map((c) => c.trim());
}

test("the committed docs/platform-file.md is what `npm run schema` generates (run it after changing platform/schema.ts or the profile defaults)", () => {
  expect(fs.readFileSync(path.join(ROOT, PLATFORM_FILE_DOC), "utf8")).toBe(doc);
});

test("every key of the JSON Schema has a description, a type and a row in the reference", () => {
  // Walked from the generated JSON Schema itself, so a key added to the schema is covered without editing this test.
  const schema = JSON.parse(renderSchema()) as JsonSchemaNode;
  const walked = schemaKeys(schema);
  expect(walked.length).toBeGreaterThan(100);
  const undescribed = walked.filter((k) => splitDescription(k.node.description).text === "").map((k) => k.path);
  expect(undescribed).toEqual([]);
  for (const key of walked) {
    const inDoc = doc.includes(`| \`${key.path.replace(/^(apps|environments)\[\]\./, "")}\` |`);
    expect({ key: key.path, inDoc }).toEqual({ key: key.path, inDoc: true });
  }
});

test("the walk reaches list items, map values and every variant of the backend", () => {
  const paths = keys.map((k) => k.path);
  expect(paths).toEqual(
    expect.arrayContaining([
      "apps[].egress[].cidr",
      "apps[].overrides.<env>.replicas.min",
      "environments[].approval.reviewers.teams[].id",
      "backend{type: s3}.keyPrefix",
      "backend{type: remote}.workspacePrefix",
      "backend{type: local}.type",
    ]),
  );
});

test("a key that differs by profile shows both defaults, as the model resolves them", () => {
  expect(row("Environments", "network.natGateways")[2]).toBe("*development:* `one`<br>*production:* `per-zone`");
  expect(row("Environments", "database.backupRetentionDays")[2]).toBe(
    `*development:* \`${PROFILE_DEFAULTS.development.environment.database.backupRetentionDays}\`<br>*production:* \`${PROFILE_DEFAULTS.production.environment.database.backupRetentionDays}\``,
  );
  expect(row("Environments", "cluster.nodes")[2]).toBe('*development:* `{"min":1,"desired":2,"max":3}`<br>*production:* `{"min":2,"desired":3,"max":6}`');
  expect(row("Environments", "alarms.thresholds.p99LatencyMs")[2]).toBe("*development:* `3000`<br>*production:* `1500`");
  // An app's replicas and thresholds fall back to the profile's too.
  expect(row("Apps", "replicas")[2]).toBe('*development:* `{"min":1,"max":2}`<br>*production:* `{"min":3,"max":10}`');
});

test("each row has the key's type, default, allowed values and description", () => {
  expect(row("Top level", "github.owner")).toEqual(["`github.owner`", "string", "**required**", expect.stringMatching(/^matches `\^/), expect.stringMatching(/organization/)]);
  expect(row("Apps", "cpu").slice(1, 3)).toEqual(["string", "`250m`"]);
  expect(row("Apps", "database").slice(1, 4)).toEqual(["string", "`postgres`", "one of `postgres`, `none`"]);
  expect(row("Apps", "port")[3]).toBe("≥ 1024, ≤ 65535");
  expect(row("Environments", "network.zones")[3]).toBe("at least 2, at most 4 items");
  expect(row("Environments", "logs.retentionDays")[3]).toMatch(/^one of `1`, `3`, .*`3653`$/);
  // A same-for-every-profile default the schema leaves to the model is read from the model.
  expect(row("Environments", "cluster.version")[2]).toBe(`\`${PROFILE_DEFAULTS.production.environment.cluster.version}\``);
  // A one-word default is code; angle brackets in prose stay text in Markdown (not an HTML tag).
  expect(row("Environments", "assumeRoleArn")[2]).toBe("`arn:aws:iam::<account>:role/<platform>-<env>-apply`");
  expect(row("Apps", "suppressions")[4]).toContain("(&lt;app&gt;-delivery and &lt;app&gt;-&lt;env&gt;)");
});

test("a description's @default agrees with the model wherever the profiles differ", () => {
  const perProfile = profileDefaults();
  expect(perProfile.size).toBeGreaterThan(20);
  for (const key of keys) {
    const profiles = perProfile.get(key.path);
    const { defaultText } = splitDescription(key.node.description);
    if (!profiles || defaultText === undefined || typeof profiles.development === "object") continue;
    const says = { key: key.path, development: defaultText.includes(String(profiles.development)), production: defaultText.includes(String(profiles.production)) };
    expect(says).toEqual({ key: key.path, development: true, production: true });
  }
});
