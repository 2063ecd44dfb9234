/**
 * cli/cost/regenerate.ts on a small fixture in the Price List bulk offer file format
 * (__tests__/cli/fixtures/price-list/<offer>/<region>.json); no network. And the snapshot itself:
 * every price has a unit, a source, a date and a way to regenerate it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PRICES } from "../../cli/cost/price";
import type { Price } from "../../cli/cost/price";
import { findPrice, main, offersFromDirectory, offerUrl, OfferFile, regenerate } from "../../cli/cost/regenerate";
import { tempDir } from "../support/platform";

const FIXTURES = path.join(__dirname, "fixtures", "price-list");

describe("regenerating the snapshot from Price List offer files", () => {
  const result = regenerate(PRICES, offersFromDirectory(FIXTURES));
  const price = (region: string, key: string) => result.snapshot.regions[region][key];

  test("a price the fixture confirms takes its first-tier USD, the offer file's URL as source and its publication date", () => {
    expect(price("eu-west-1", "ec2.instance.m6i.large")).toEqual({
      usd: 0.111,
      unit: "instance-hour",
      source: "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/eu-west-1/index.json",
      date: "2026-12-01",
      match: PRICES.regions["eu-west-1"]["ec2.instance.m6i.large"].match,
    });
    expect(price("eu-west-1", "ebs.gp3")).toMatchObject({ usd: 0.09, date: "2026-12-01" });
    expect(price("eu-west-1", "vpc.nat.hour")).toMatchObject({ usd: 0.05, date: "2026-12-01" });
    // Single-AZ, not the Multi-AZ product beside it.
    expect(price("eu-west-1", "rds.postgres.db.m6g.large")).toMatchObject({ usd: 0.17, date: "2026-11-28", source: offerUrl("AmazonRDS", "eu-west-1") });
    expect(price("eu-west-1", "ec2.instance.m6i.large").note).toBeUndefined();
    // The stored copies that confirmed the old figure go with its note: the offer file is now the source.
    expect(PRICES.regions["eu-west-1"]["vpc.nat.hour"].confirmedBy).not.toHaveLength(0);
    expect(price("eu-west-1", "vpc.nat.hour").confirmedBy).toBeUndefined();
    expect(price("eu-west-1", "vpc.nat.hour").note).toBeUndefined();
    expect(result.updated).toEqual([
      { region: "eu-west-1", key: "ec2.instance.m6i.large", fromUsd: PRICES.regions["eu-west-1"]["ec2.instance.m6i.large"].usd, toUsd: 0.111 },
      { region: "eu-west-1", key: "ebs.gp3", fromUsd: PRICES.regions["eu-west-1"]["ebs.gp3"].usd, toUsd: 0.09 },
      { region: "eu-west-1", key: "vpc.nat.hour", fromUsd: PRICES.regions["eu-west-1"]["vpc.nat.hour"].usd, toUsd: 0.05 },
      { region: "eu-west-1", key: "rds.postgres.db.m6g.large", fromUsd: PRICES.regions["eu-west-1"]["rds.postgres.db.m6g.large"].usd, toUsd: 0.17 },
    ]);
    expect(result.snapshot.date).toBe("2026-12-06");
  });

  test("the rest is kept as it was, each with the reason", () => {
    expect(price("eu-west-1", "ec2.instance.t3.medium")).toEqual(PRICES.regions["eu-west-1"]["ec2.instance.t3.medium"]);
    expect(result.snapshot.regions["us-east-1"]).toEqual(PRICES.regions["us-east-1"]);
    const kept = (region: string, key: string) => result.kept.find((k) => k.region === region && k.key === key)?.reason;
    expect(kept("eu-west-1", "ec2.instance.t3.medium")).toBe("AmazonEC2 eu-west-1: no product matches");
    expect(kept("eu-west-1", "eks.cluster")).toBe("no offer file AmazonEKS for eu-west-1");
    // Two products match c6i.large Linux with different prices: never guessed.
    expect(kept("eu-west-1", "ec2.instance.c6i.large")).toBe("AmazonEC2 eu-west-1: ambiguous: 2 products match with prices 0.097, 0.099; narrow the match");
    expect(price("eu-west-1", "ec2.instance.c6i.large")).toEqual(PRICES.regions["eu-west-1"]["ec2.instance.c6i.large"]);
    const total = Object.values(PRICES.regions).reduce((n, r) => n + Object.keys(r).length, 0);
    expect(result.updated.length + result.kept.length).toBe(total);
  });

  test("a product of another region, or a price in another unit or tier, is not taken", () => {
    const offer: OfferFile = JSON.parse(fs.readFileSync(path.join(FIXTURES, "AmazonEC2", "eu-west-1.json"), "utf8"));
    const match = PRICES.regions["eu-west-1"]["ebs.gp3"].match!;
    expect(findPrice(offer, match, "eu-central-1")).toEqual({ problem: "no product matches" });
    expect(findPrice(offer, { ...match, unit: "GB-Hrs" }, "eu-west-1")).toEqual({ problem: "1 product(s) match but none has an on-demand price in GB-Hrs" });
    const tiered = JSON.parse(JSON.stringify(offer));
    const [dimension] = Object.values<any>(Object.values<any>(tiered.terms.OnDemand.FIXTURE0003)[0].priceDimensions);
    dimension.beginRange = "51200";
    expect(findPrice(tiered, match, "eu-west-1")).toEqual({ problem: "1 product(s) match but none has an on-demand price in GB-Mo" });
  });

  test("the command rewrites the snapshot file it is given", async () => {
    const dir = tempDir("slipway-regenerate-");
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const file = path.join(dir, "prices.json");
      fs.writeFileSync(file, JSON.stringify(PRICES));
      expect(await main(["--offers", FIXTURES, "--out", file])).toBe(0);
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(JSON.parse(JSON.stringify(result.snapshot)));
      expect(log.mock.calls.map((c) => String(c[0]))).toContain(`4 prices confirmed from offer files, ${result.kept.length} kept as they were; wrote ${file}`);
    } finally {
      log.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the snapshot", () => {
  type Category = "aws" | "third-party" | "third-party, no region" | "none";
  /** The first that applies: AWS's own copy, a third party naming the region, one not naming it, nothing. */
  const category = (p: Price): Category => {
    const by = p.confirmedBy ?? [];
    if (by.some((c) => c.kind === "aws")) return "aws";
    if (by.some((c) => c.namesRegion)) return "third-party";
    return by.length > 0 ? "third-party, no region" : "none";
  };
  const all = Object.entries(PRICES.regions).flatMap(([region, prices]) => Object.entries(prices).map(([key, p]) => ({ region, key, p })));

  test("every stored confirmation says whose it is, where it is, when, and what it says", () => {
    for (const { region, key, p } of all) {
      for (const c of p.confirmedBy ?? []) {
        const ok =
          (c.kind === "aws" || c.kind === "third-party") &&
          typeof c.namesRegion === "boolean" &&
          /^https?:\/\/[^\s]+$/.test(c.address) &&
          (c.date === undefined || /^\d{4}-\d\d(-\d\d)?$/.test(c.date)) &&
          c.says.length > 0;
        expect({ region, key, address: c.address, ok }).toEqual({ region, key, address: c.address, ok: true });
      }
      expect({ region, key, empty: p.confirmedBy?.length === 0 }).toEqual({ region, key, empty: false });
    }
  });

  test("each note says what confirms the figure, or that nothing stored does for the region", () => {
    for (const { region, key, p } of all) {
      const cat = category(p);
      const note = p.note ?? "";
      if (cat === "aws" || cat === "third-party") {
        const best = p.confirmedBy!.find((c) => (cat === "aws" ? c.kind === "aws" : c.namesRegion))!;
        expect({ region, key, says: note.includes(`Confirmed`) && note.includes(best.address) && !note.includes("Not confirmed") }).toEqual({ region, key, says: true });
      } else {
        expect({ region, key, says: note.includes(cat === "none" ? "Not confirmed by a stored source" : "Not confirmed for this region") }).toEqual({ region, key, says: true });
      }
    }
    // The figure the stored source gave where it differed from the hand-recorded one.
    const micro = PRICES.regions["eu-west-1"]["rds.postgres.db.t4g.micro"];
    expect({ usd: micro.usd, date: micro.date, kind: micro.confirmedBy?.[0].kind, namesRegion: micro.confirmedBy?.[0].namesRegion }).toEqual({ usd: 0.017, date: "2023-04-30", kind: "third-party", namesRegion: true });
    // AWS's own Price List file is the NAT gateway's source, with its publication date.
    expect(PRICES.regions["eu-west-1"]["vpc.nat.hour"]).toMatchObject({ usd: 0.048, source: "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/20260925174521/eu-west-1/index.json", date: "2026-09-25" });
  });

  test("docs/cost.md counts the prices each kind of source confirms, as the snapshot has them", () => {
    const count = (c: Category) => all.filter(({ p }) => category(p) === c).length;
    const table = [
      "| what confirms the figure | prices |",
      "| --- | ---: |",
      `| AWS's own price page, blog post or Price List file (a stored copy) | ${count("aws")} |`,
      `| a third party's page or file that names the price's region | ${count("third-party")} |`,
      `| third-party pages giving the same figure without naming a region | ${count("third-party, no region")} |`,
      `| no stored source | ${count("none")} |`,
      `| **all prices** | **${all.length}** |`,
    ].join("\n");
    expect(fs.readFileSync(path.join(__dirname, "..", "..", "docs", "cost.md"), "utf8")).toContain(table);
  });

  test("every price has a positive USD amount, a unit, an AWS source, a date, and a Price List match", () => {
    for (const [region, prices] of Object.entries(PRICES.regions)) {
      for (const [key, p] of Object.entries(prices)) {
        expect({ region, key, ok: p.usd > 0 && p.unit.length > 0 && /^https:\/\/(aws\.amazon\.com|pricing\.us-east-1\.amazonaws\.com)\//.test(p.source) && /^\d{4}-\d\d-\d\d$/.test(p.date) }).toEqual({ region, key, ok: true });
        expect({ region, key, match: p.match !== undefined && p.match.offer.length > 0 && p.match.unit.length > 0 }).toEqual({ region, key, match: true });
      }
    }
    expect(Object.keys(PRICES.regions).sort()).toEqual(["eu-central-1", "eu-west-1", "us-east-1"]);
    // CloudFront is global: priced once, in us-east-1.
    expect(Object.keys(PRICES.regions["eu-west-1"]).filter((k) => k.startsWith("cloudfront."))).toEqual([]);
  });
});
