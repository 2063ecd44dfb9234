/**
 * Reading a platform file safely and printing what it holds safely: the helpers behind every error
 * message (constructs/util.ts `printable` and `safeText`, platform/model.ts `readPlatformText`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { invalid, MAX_PRINTED_LENGTH, printable, safeText, SECRET_KEY, SlipwayValidationError } from "../../constructs/util";
import { decodePlatformBytes, MAX_PLATFORM_FILE_BYTES, parsePlatform, PlatformFileError, readPlatformText } from "../../platform/model";
import { tempDir } from "../support/platform";

describe("printable: a received value as it may be printed", () => {
  test("strings are quoted with every control character escaped, C1 and bidirectional controls included", () => {
    expect(printable("a\u001b[31mb\r\n\u009b\u202e\u2028\u0000")).toBe('"a\\u001b[31mb\\r\\n\\u009b\\u202e\\u2028\\u0000"');
  });

  test(`values longer than ${MAX_PRINTED_LENGTH} characters are cut, with an ellipsis and their full length`, () => {
    expect(printable("y".repeat(200))).toBe(`"${"y".repeat(MAX_PRINTED_LENGTH)}"… (200 characters)`);
    expect(printable("y".repeat(MAX_PRINTED_LENGTH))).toBe(`"${"y".repeat(MAX_PRINTED_LENGTH)}"`);
    // Characters, not UTF-16 units: an emoji is never cut in half.
    expect(printable("😀".repeat(100))).toBe(`"${"😀".repeat(MAX_PRINTED_LENGTH)}"… (100 characters)`);
  });

  test("a value under a key that looks like a secret's is redacted, at the top and inside lists and mappings", () => {
    for (const key of ["DB_PASSWORD", "passwd", "API_TOKEN", "clientSecret", "SESSION_KEY", "accessKey", "private_key", "AWS_CREDENTIALS", "signing-key"]) {
      expect({ key, printed: printable("hunter2", key) }).toEqual({ key, printed: "<redacted>" });
    }
    expect(printable({ user: "app", password: "hunter2", nested: { apiKey: "k" } })).toBe('{"user":"app","password":"<redacted>","nested":{"apiKey":"<redacted>"}}');
    // Names that only contain the letters of a word are not secrets.
    for (const key of ["keyPrefix", "monitoring", "hostedZoneId", "LOG_LEVEL"]) expect(SECRET_KEY.test(key)).toBe(false);
  });

  test("numbers, lists and missing values", () => {
    expect(printable(42)).toBe("42");
    expect(printable(["a", 1])).toBe('["a",1]');
    expect(printable(undefined)).toBe("(missing)");
  });
});

describe("safeText: a message as it may be printed", () => {
  test("a line GitHub Actions would read as a workflow command (:: or ##[, after spaces) starts with a backslash", () => {
    expect(safeText("ok\n::error::x\n   ::set-env name=A::b\n##[warning]y\nnot ::this")).toBe("ok\n\\::error::x\n   \\::set-env name=A::b\n\\##[warning]y\nnot ::this");
  });

  test("control characters other than line breaks and tabs are escaped; CRLF becomes a line break", () => {
    expect(safeText("a\u001b[2Jb\tc\r\nd\re\u0085")).toBe("a\\u001b[2Jb\tc\nd\\u000de\\u0085");
  });
});

describe("the errors use them", () => {
  test("SlipwayValidationError: the value escaped, cut, and redacted under a secret-looking field", () => {
    const scope = new TerraformStack(Testing.app(), "test");
    const message = (field: string, value: unknown) => {
      try {
        invalid(scope, field, value, "something valid");
      } catch (error) {
        expect(error).toBeInstanceOf(SlipwayValidationError);
        return (error as Error).message;
      }
      throw new Error("no error");
    };
    expect(message("env.DB_PASSWORD", "hunter2")).toBe("test: env.DB_PASSWORD <redacted> is invalid: something valid");
    expect(message("secretEnv.API_TOKEN", "hunter2")).toBe("test: secretEnv.API_TOKEN <redacted> is invalid: something valid");
    expect(message("cpu", `\u001b[31m${"1".repeat(100)}`)).toBe(`test: cpu "\\u001b[31m${"1".repeat(75)}"… (105 characters) is invalid: something valid`);
  });

  test("PlatformFileError: a file name or message that would be a workflow command is neutralised", () => {
    const error = new PlatformFileError("::error::evil.yaml", [{ path: "", message: "x\n::warning::y" }]);
    expect(error.message.split("\n").filter((l) => /^\s*::/.test(l))).toEqual([]);
    expect(error.message).toBe("\\::error::evil.yaml: 1 problem in the platform file:\n  \\::error::evil.yaml: x\n\\::warning::y");
  });

  test("a YAML tag from the file is shown escaped and cut", () => {
    expect(() => parsePlatform(`a: !${"x".repeat(200)} b\n`, "tag.yaml")).toThrow(`tag.yaml:1:4: YAML: unknown tag "!${"x".repeat(79)}"… (201 characters)`);
  });
});

describe("reading a platform file", () => {
  let dir: string;
  beforeAll(() => (dir = tempDir("slipway-read-")));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a huge file is refused at once, before it is read (a sparse 8 GiB file)", () => {
    const file = path.join(dir, "huge.yaml");
    const fd = fs.openSync(file, "w");
    fs.ftruncateSync(fd, 8 * 1024 ** 3);
    fs.closeSync(fd);
    const started = Date.now();
    expect(() => readPlatformText(file)).toThrow(`the file is ${8 * 1024 ** 3} bytes; a platform file is at most ${MAX_PLATFORM_FILE_BYTES} bytes (1 MiB)`);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test("a file of exactly 1 MiB is read", () => {
    const file = path.join(dir, "big.yaml");
    fs.writeFileSync(file, `# ${"x".repeat(MAX_PLATFORM_FILE_BYTES - 3)}\n`);
    expect(readPlatformText(file)).toHaveLength(MAX_PLATFORM_FILE_BYTES);
  });

  test("a UTF-8 byte order mark is dropped", () => {
    expect(decodePlatformBytes(Buffer.from("\ufeffname: acme\n", "utf8"), "bom.yaml")).toBe("name: acme\n");
  });

  test.each([
    ["UTF-16 BE with its byte order mark", Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from("name: acme\n", "utf16le").swap16()]), "the file is UTF-16 BE (it starts with a UTF-16 byte order mark)"],
    ["UTF-16 BE without one", Buffer.from("name: acme\nx: y\n", "utf16le").swap16(), "the file looks like UTF-16 BE without a byte order mark"],
    ["UTF-32 LE", Buffer.from([0xff, 0xfe, 0, 0, 0x6e, 0, 0, 0]), "the file is UTF-32"],
    ["an overlong UTF-8 form", Buffer.from([0x61, 0xc0, 0xaf, 0x0a]), "the file is not valid UTF-8 (byte 0xc0 at offset 1"],
    ["a UTF-16 surrogate encoded in UTF-8", Buffer.from([0x61, 0x0a, 0xed, 0xa0, 0x80]), "the file is not valid UTF-8 (byte 0xed at offset 2"],
    ["a bell character", Buffer.from("name: a\u0007\n"), "control character U+0007 at offset 7"],
  ])("%s is refused, naming what was found", (_name, bytes, message) => {
    expect(() => decodePlatformBytes(bytes, "f.yaml")).toThrow(message);
  });
});
