import * as fs from "node:fs";
import * as path from "node:path";
import { renderSchema, SCHEMA_FILE } from "../../cli/schema";
import { ROOT } from "../support/platform";

test("the committed JSON Schema is what `npm run schema` generates (run it after changing platform/schema.ts)", () => {
  expect(fs.readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8")).toBe(renderSchema());
});

test("the JSON Schema is strict and documents defaults, for editors", () => {
  const schema = JSON.parse(renderSchema());
  expect(schema.additionalProperties).toBe(false);
  expect(schema.required).toEqual(["github", "apps", "environments"]);
  const app = schema.properties.apps.items;
  expect(app.additionalProperties).toBe(false);
  expect(app.properties.port).toMatchObject({ type: "integer", minimum: 1024, maximum: 65535 });
  expect(app.properties.cpu.default).toBe("250m");
});

test("the example platform file points editors at the schema", () => {
  expect(fs.readFileSync(path.join(ROOT, "platform.yaml"), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=./schema/platform.schema.json");
});
