import { TerraformOutput, TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import {
  AWS_ACCOUNT_ID_PATTERN,
  AWS_REGION_PATTERN,
  cidrSubnet,
  cidrsOverlap,
  LOG_RETENTION_DAYS,
  parseCidr,
  partitionOf,
  policyJson,
  resourceName,
} from "../../constructs/util";

describe("partitionOf", () => {
  test.each([
    ["eu-west-1", "aws", "amazonaws.com"],
    ["us-east-1", "aws", "amazonaws.com"],
    ["cn-north-1", "aws-cn", "amazonaws.com.cn"],
    ["cn-northwest-1", "aws-cn", "amazonaws.com.cn"],
    ["us-gov-west-1", "aws-us-gov", "amazonaws.com"],
  ])("%s is in partition %s with DNS suffix %s", (region, partition, dnsSuffix) => {
    expect(partitionOf(region)).toEqual({ partition, dnsSuffix });
  });

  test("an unresolved region falls back to the aws partition", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const region = new TerraformVariable(stack, "region", { type: "string" }).stringValue;
    expect(partitionOf(region)).toEqual({ partition: "aws", dnsSuffix: "amazonaws.com" });
  });
});

describe("policyJson", () => {
  const document = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };

  test("is exactly JSON.stringify when every value is known", () => {
    expect(policyJson(document)).toBe(JSON.stringify(document));
    expect(policyJson(document)).toBe(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    );
  });

  test("keeps a string reference as an interpolation inside plain JSON, readable by tools", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const account = new TerraformVariable(stack, "account", { type: "string" });
    const json = policyJson({ Version: "2012-10-17", Condition: { StringEquals: { "aws:SourceAccount": account.stringValue } } });
    expect(Token.isUnresolved(json)).toBe(true);
    new TerraformOutput(stack, "policy", { value: json });
    const value: string = JSON.parse(Testing.synth(stack)).output.policy.value;
    expect(JSON.parse(value)).toEqual({ Version: "2012-10-17", Condition: { StringEquals: { "aws:SourceAccount": "${var.account}" } } });
  });

  test("is Terraform's jsonencode when a value is a list reference, which JSON cannot carry", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const arns = new TerraformVariable(stack, "arns", { type: "list(string)" });
    const json = policyJson({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: arns.listValue }] });
    new TerraformOutput(stack, "policy", { value: json });
    const value: string = JSON.parse(Testing.synth(stack)).output.policy.value;
    expect(value.startsWith("${jsonencode({")).toBe(true);
    expect(value).toContain('"Resource" = var.arns');
    expect(value).not.toContain("TfToken");
  });
});

describe("patterns and constants", () => {
  test.each(["eu-west-1", "us-gov-west-1", "ap-southeast-4", "il-central-1", "eu-west-12"])("AWS_REGION_PATTERN accepts %j", (region) => {
    expect(AWS_REGION_PATTERN.test(region)).toBe(true);
  });

  test.each(["", "eu-west", "EU-WEST-1", "europe", "Ireland", "eu-west-1a", "e-west-1", " eu-west-1"])("AWS_REGION_PATTERN rejects %j", (region) => {
    expect(AWS_REGION_PATTERN.test(region)).toBe(false);
  });

  test("AWS_REGION_PATTERN accepts every region the platform file's pattern accepts", () => {
    const schema = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
    for (const region of ["eu-west-1", "us-gov-east-1", "me-central-1", "ca-west-1", "ap-northeast-3"]) {
      expect(schema.test(region)).toBe(true);
      expect(AWS_REGION_PATTERN.test(region)).toBe(true);
    }
  });

  test("AWS_ACCOUNT_ID_PATTERN takes exactly 12 digits", () => {
    expect(AWS_ACCOUNT_ID_PATTERN.test("123456789012")).toBe(true);
    expect(AWS_ACCOUNT_ID_PATTERN.test("012345678901")).toBe(true);
    for (const id of ["12345678901", "1234567890123", "abcdefghijkl", "12345678901a", "", " 123456789012"]) {
      expect(AWS_ACCOUNT_ID_PATTERN.test(id)).toBe(false);
    }
  });

  test("LOG_RETENTION_DAYS is CloudWatch's list led by 0 (never expire), ascending", () => {
    expect(LOG_RETENTION_DAYS[0]).toBe(0);
    expect(LOG_RETENTION_DAYS).toHaveLength(23);
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual([...LOG_RETENTION_DAYS]);
    expect(LOG_RETENTION_DAYS).toEqual(expect.arrayContaining([1, 7, 30, 365, 3653]));
  });
});

describe("cidrSubnet", () => {
  test("splits like Terraform's cidrsubnet", () => {
    expect(cidrSubnet("10.20.0.0/16", 3, 0)).toBe("10.20.0.0/19");
    expect(cidrSubnet("10.20.0.0/16", 3, 1)).toBe("10.20.32.0/19");
    expect(cidrSubnet("10.20.0.0/16", 3, 7)).toBe("10.20.224.0/19");
    expect(cidrSubnet("10.20.0.0/16", 5, 16)).toBe("10.20.128.0/21");
    expect(cidrSubnet("10.20.0.0/16", 5, 17)).toBe("10.20.136.0/21");
    expect(cidrSubnet("10.1.0.0/23", 5, 3)).toBe("10.1.0.48/28");
  });

  test("keeps the network and masks host bits with 0 new bits", () => {
    expect(cidrSubnet("10.0.0.0/16", 0, 0)).toBe("10.0.0.0/16");
    expect(cidrSubnet("10.0.1.0/16", 0, 0)).toBe("10.0.0.0/16");
  });

  test("handles addresses with the top bit set", () => {
    expect(cidrSubnet("192.168.0.0/16", 8, 255)).toBe("192.168.255.0/24");
    expect(cidrSubnet("255.255.255.0/24", 8, 255)).toBe("255.255.255.255/32");
  });

  test("throws when the subnet does not fit", () => {
    expect(() => cidrSubnet("10.0.0.0/16", 3, 8)).toThrow("cidrSubnet: cannot take subnet 8 of /19 from 10.0.0.0/16");
    expect(() => cidrSubnet("10.0.0.0/16", 3, -1)).toThrow(/cannot take subnet -1/);
    expect(() => cidrSubnet("10.0.0.0/30", 3, 0)).toThrow(/of \/33 from/);
  });
});

describe("parseCidr", () => {
  test("returns the network as an unsigned 32-bit number and the prefix", () => {
    expect(parseCidr("10.0.0.0/16")).toEqual({ network: 0x0a000000, prefix: 16 });
    expect(parseCidr("192.168.1.0/24")).toEqual({ network: 0xc0a80100, prefix: 24 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ network: 0xffffffff, prefix: 32 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ network: 0, prefix: 0 });
  });

  test("keeps host bits (callers check them)", () => {
    expect(parseCidr("10.0.1.0/16")).toEqual({ network: 0x0a000100, prefix: 16 });
  });

  test.each(["10.0.0.0", "10.0.0/16", "10.0.0.256/16", "300.0.0.0/16", "10.0.0.0/33", "10.0.0.0/", "fd00::/56", " 10.0.0.0/16", "vpc"])(
    "returns undefined for %j",
    (cidr) => {
      expect(parseCidr(cidr)).toBeUndefined();
    },
  );
});

describe("cidrsOverlap", () => {
  test("true when one contains the other or they are equal, either way round", () => {
    expect(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17")).toBe(true);
    expect(cidrsOverlap("10.0.128.0/17", "10.0.0.0/16")).toBe(true);
    expect(cidrsOverlap("10.0.0.0/16", "10.0.0.0/16")).toBe(true);
    expect(cidrsOverlap("0.0.0.0/0", "203.0.113.7/32")).toBe(true);
  });

  test("false for disjoint and adjacent ranges", () => {
    expect(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16")).toBe(false);
    expect(cidrsOverlap("10.0.0.0/24", "10.0.1.0/24")).toBe(false);
    expect(cidrsOverlap("192.168.0.0/17", "192.168.128.0/17")).toBe(false);
  });

  test("false when either is not a CIDR", () => {
    expect(cidrsOverlap("10.0.0.0/16", "vpc")).toBe(false);
    expect(cidrsOverlap("10.0.0.0", "10.0.0.0/16")).toBe(false);
  });
});

describe("resourceName", () => {
  test("joins lower-cased words with single dashes", () => {
    expect(resourceName(["Slipway", "Prod"])).toBe("slipway-prod");
    expect(resourceName(["a_b", "c.d"])).toBe("a-b-c-d");
    expect(resourceName(["--x--", "", "y"])).toBe("x-y");
    expect(resourceName(["slipway-prod", "vpc-flow-logs"])).toBe("slipway-prod-vpc-flow-logs");
  });

  test("trims to maxLength without a trailing dash", () => {
    expect(resourceName(["a".repeat(70)])).toBe("a".repeat(63));
    expect(resourceName(["abcd"], 4)).toBe("abcd");
    expect(resourceName(["abc", "def"], 4)).toBe("abc");
    expect(resourceName(["abc", "def"], 5)).toBe("abc-d");
  });

  test("is deterministic", () => {
    expect(resourceName(["Same", "Input"], 10)).toBe(resourceName(["Same", "Input"], 10));
  });
});
