/**
 * Rebuilds `cli/cost/prices.json` from AWS Price List bulk offer files (the documented JSON format:
 * `products` keyed by SKU with `productFamily` and `attributes`, and `terms.OnDemand[sku][term]
 * .priceDimensions[rate]` with `unit`, `beginRange` and `pricePerUnit.USD`). Each snapshot price
 * says, in `match`, which offer, product attributes and unit it is; the first tier's price of
 * the one product that matches replaces it, with the offer file's URL as source and its
 * publication date as date. A price no offer file confirms is kept as it is, note included.
 *
 *   node scripts/run.js cli/cost/regenerate.ts --offers DIR [--out FILE]   offer files saved as DIR/<offer>/<region>.json
 *   node scripts/run.js cli/cost/regenerate.ts --fetch [--out FILE]        downloads them (network needed)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Price, PriceMatch, PriceSnapshot } from "./price";

/** The Price List bulk offer file of one service in one region (only the parts read here). */
export interface OfferFile {
  readonly offerCode?: string;
  readonly publicationDate?: string;
  readonly products: Record<string, { readonly sku: string; readonly productFamily?: string; readonly attributes: Record<string, string> }>;
  readonly terms: {
    readonly OnDemand?: Record<string, Record<string, { readonly priceDimensions: Record<string, { readonly unit: string; readonly beginRange?: string; readonly pricePerUnit: { readonly USD?: string } }> }>>;
  };
}

/** AWS's public URL of an offer file (Price List bulk API, current version, one region). */
export function offerUrl(offer: string, region: string): string {
  return `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/${offer}/current/${region}/index.json`;
}

export interface RegenerationResult {
  readonly snapshot: PriceSnapshot;
  /** `<region> <key>`: confirmed from an offer file (old and new USD). */
  readonly updated: Array<{ readonly region: string; readonly key: string; readonly fromUsd: number; readonly toUsd: number }>;
  /** Kept as they were, with why. */
  readonly kept: Array<{ readonly region: string; readonly key: string; readonly reason: string }>;
}

/** The first-tier on-demand USD price of the one product of `offer` that `match` names. */
export function findPrice(offer: OfferFile, match: PriceMatch, region: string): { usd: number } | { problem: string } {
  const products = Object.values(offer.products ?? {}).filter(
    (p) =>
      (match.productFamily === undefined || p.productFamily === match.productFamily) &&
      (p.attributes?.regionCode === undefined || p.attributes.regionCode === region) &&
      Object.entries(match.attributes).every(([k, v]) => p.attributes?.[k] === v),
  );
  if (products.length === 0) return { problem: "no product matches" };
  const prices = products.flatMap((p) =>
    Object.values(offer.terms?.OnDemand?.[p.sku] ?? {}).flatMap((term) =>
      Object.values(term.priceDimensions ?? {}).filter((d) => d.unit === match.unit && (d.beginRange ?? "0") === "0" && d.pricePerUnit?.USD !== undefined),
    ),
  );
  const distinct = [...new Set(prices.map((d) => Number(d.pricePerUnit.USD)))];
  if (distinct.length === 0) return { problem: `${products.length} product(s) match but none has an on-demand price in ${match.unit}` };
  if (distinct.length > 1) return { problem: `ambiguous: ${products.length} products match with prices ${distinct.join(", ")}; narrow the match` };
  return { usd: distinct[0] };
}

/** The snapshot with every price an offer file confirms replaced; `readOffer` gives undefined where none is available. */
export function regenerate(snapshot: PriceSnapshot, readOffer: (offer: string, region: string) => OfferFile | undefined): RegenerationResult {
  const updated: RegenerationResult["updated"][number][] = [];
  const kept: RegenerationResult["kept"][number][] = [];
  const regions: Record<string, Record<string, Price>> = {};
  for (const [region, prices] of Object.entries(snapshot.regions)) {
    regions[region] = {};
    for (const [key, price] of Object.entries(prices)) {
      regions[region][key] = price;
      if (!price.match) {
        kept.push({ region, key, reason: "no match: not in the Price List" });
        continue;
      }
      const offer = readOffer(price.match.offer, region);
      if (!offer) {
        kept.push({ region, key, reason: `no offer file ${price.match.offer} for ${region}` });
        continue;
      }
      const found = findPrice(offer, price.match, region);
      if ("problem" in found) {
        kept.push({ region, key, reason: `${price.match.offer} ${region}: ${found.problem}` });
        continue;
      }
      // The offer file is now the figure's source: the note and the stored copies that confirmed the old figure go.
      const { note: _note, confirmedBy: _confirmedBy, ...rest } = price;
      regions[region][key] = { ...rest, usd: found.usd, source: offerUrl(price.match.offer, region), date: (offer.publicationDate ?? new Date().toISOString()).slice(0, 10) };
      updated.push({ region, key, fromUsd: price.usd, toUsd: found.usd });
    }
  }
  const dates = Object.values(regions).flatMap((r) => Object.values(r).map((p) => p.date)).sort();
  return { snapshot: { ...snapshot, date: dates[dates.length - 1] ?? snapshot.date, regions }, updated, kept };
}

/** Offer files saved as `dir/<offer>/<region>.json`. */
export function offersFromDirectory(dir: string): (offer: string, region: string) => OfferFile | undefined {
  return (offer, region) => {
    const file = path.join(dir, offer, `${region}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as OfferFile) : undefined;
  };
}

const DEFAULT_SNAPSHOT = path.join(__dirname, "..", "..", "cli", "cost", "prices.json");

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { offers: { type: "string" }, fetch: { type: "boolean" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help || (!values.offers && !values.fetch)) {
    console.log("usage: node scripts/run.js cli/cost/regenerate.ts (--offers DIR | --fetch) [--out FILE]\n  --offers DIR  offer files saved as DIR/<offer>/<region>.json\n  --fetch       download them from the Price List bulk API (network needed; some are hundreds of MB)\n  --out FILE    the snapshot to rewrite (default cli/cost/prices.json)");
    return values.help ? 0 : 2;
  }
  const out = values.out ?? (fs.existsSync("cli/cost/prices.json") ? "cli/cost/prices.json" : DEFAULT_SNAPSHOT);
  const snapshot = JSON.parse(fs.readFileSync(out, "utf8")) as PriceSnapshot;
  let read = values.offers ? offersFromDirectory(values.offers) : undefined;
  if (values.fetch) {
    // Downloaded first (the engine is synchronous), each offer and region once.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-offers-"));
    const needed = new Set(Object.entries(snapshot.regions).flatMap(([region, prices]) => Object.values(prices).flatMap((p) => (p.match ? [`${p.match.offer}/${region}`] : []))));
    for (const item of needed) {
      const [offer, region] = item.split("/");
      const response = await fetch(offerUrl(offer, region));
      if (!response.ok) {
        console.error(`${offerUrl(offer, region)}: HTTP ${response.status}; its prices are kept`);
        continue;
      }
      fs.mkdirSync(path.join(dir, offer), { recursive: true });
      fs.writeFileSync(path.join(dir, offer, `${region}.json`), Buffer.from(await response.arrayBuffer()));
    }
    read = offersFromDirectory(dir);
  }
  const result = regenerate(snapshot, read!);
  fs.writeFileSync(out, `${JSON.stringify(result.snapshot, null, 1)}\n`);
  for (const u of result.updated) console.log(`updated ${u.region} ${u.key}: $${u.fromUsd} -> $${u.toUsd}`);
  for (const k of result.kept) console.log(`kept ${k.region} ${k.key}: ${k.reason}`);
  console.log(`${result.updated.length} prices confirmed from offer files, ${result.kept.length} kept as they were; wrote ${out}`);
  return 0;
}
