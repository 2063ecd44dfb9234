/** The one edit distance (platform/edit-distance.ts) behind every "did you mean …?". */
import { closest, editDistance } from "../../platform/edit-distance";
import { suggest } from "../../platform/model";

describe("editDistance", () => {
  test.each<[string, string, number]>([
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
    ["healthPath", "helthPath", 1],
    ["SLW-S3-001", "SLW-S3-010", 2],
    ["flaw", "lawn", 2],
    ["same", "same", 0],
  ])("%j -> %j is %i", (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe("closest", () => {
  const keys = ["name", "port", "healthPath", "replicas"];

  test("the nearest candidate, case folded by default", () => {
    expect(closest("helthpath", keys)).toBe("healthPath");
    expect(closest("prot", keys)).toBe("port");
  });

  test("none when nothing is near: at most a third of the word's length, at least 2", () => {
    expect(closest("zzzzzz", keys)).toBeUndefined();
    expect(closest("replicasXYZ", keys)).toBe("replicas"); // 3 edits on 11 characters
    expect(closest("replicasWXYZ", keys)).toBe("replicas"); // 4 edits on 12
    expect(closest("replicasVWXYZ", keys)).toBeUndefined(); // 5 edits on 13
  });

  test("a limit and case-sensitivity of the caller's choosing; the first candidate wins a tie", () => {
    expect(closest("SLW-S3-01", ["SLW-S3-001", "SLW-S3-011"], { maxDistance: 3, ignoreCase: false })).toBe("SLW-S3-001");
    expect(closest("slw-s3-001", ["SLW-S3-001"], { maxDistance: 3, ignoreCase: false })).toBeUndefined();
    expect(closest("abc", [])).toBeUndefined();
  });

  test("the platform file's suggestions use it", () => {
    expect(suggest("helthPath", keys)).toBe(' (did you mean "healthPath"?)');
    expect(suggest("zzzzzz", keys)).toBe("");
  });
});
