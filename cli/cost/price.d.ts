/** Types of cli/cost/price.js (plain Node, so CI jobs run it without `npm ci`). */

/** One Terraform resource to price: from a synthesized cdk.tf.json or a plan's before/after values. */
export interface CostResource {
  readonly stack: string;
  /** `<type>.<name>` */
  readonly address: string;
  readonly type: string;
  /** The AWS region its provider targets. */
  readonly region: string;
  readonly values: Record<string, any>;
}

/** Usage the estimate assumes, per resource and month; the platform file's `cost.assumptions` overrides them. */
export interface CostAssumptions {
  readonly natGatewayDataGiB: number;
  readonly loadBalancerLcus: number;
  readonly cdnDataOutGiB: number;
  readonly cdnRequestsMillions: number;
  readonly bucketGiB: number;
  readonly logIngestionGiB: number;
  readonly ciRunnerMinutes: number;
  readonly registryGiB: number;
  readonly databaseBackupGiB: number;
  readonly backupVaultGiB: number;
  readonly vpcEndpointDataGiB: number;
}

export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** AWS's public price page or Price List offer file. */
  readonly source: string;
  /** When the figure was recorded (YYYY-MM-DD). */
  readonly date: string;
  /** What confirms the figure, or that no stored source does; and what it leaves out. */
  readonly note?: string;
  /** Stored copies that state the same figure (none: the figure is as recorded by hand). */
  readonly confirmedBy?: readonly PriceConfirmation[];
  /** How cli/cost/regenerate.ts finds it in a Price List offer file. */
  readonly match?: PriceMatch;
}

/** A stored copy of a page or file that states a price's figure. */
export interface PriceConfirmation {
  /** `aws`: AWS's own price page, blog or Price List file; `third-party`: anyone else's page or file. */
  readonly kind: "aws" | "third-party";
  /** Whether it states the figure for the price's region (false: one figure with no region named). */
  readonly namesRegion: boolean;
  /** Where it is (a stored copy's address, or a repository file at a commit). */
  readonly address: string;
  /** Its own date (YYYY-MM or YYYY-MM-DD), where it has one. */
  readonly date?: string;
  /** What exactly it says. */
  readonly says: string;
}

export interface PriceMatch {
  /** The offer code, e.g. AmazonEC2. */
  readonly offer: string;
  readonly productFamily?: string;
  /** Product attributes that must all be equal. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The price dimension's unit, e.g. Hrs. */
  readonly unit: string;
}

export interface PriceSnapshot {
  readonly currency: string;
  readonly hoursPerMonth: number;
  readonly date: string;
  readonly regions: Readonly<Record<string, Readonly<Record<string, Price>>>>;
}

/** One priced part of a resource: `quantity` units at `unitUsd` a month. */
export interface CostLine {
  readonly what: string;
  readonly priceKey: string;
  readonly region: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  /** What the quantity assumes. */
  readonly assumes: string;
}

export interface PricedResource {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly region: string;
  /** priced: `lines` sum to `monthlyUsd`; free: no charge, `reason` says why; unpriced: not counted, `reason` says why. */
  readonly status: "priced" | "free" | "unpriced";
  readonly reason?: string;
  readonly monthlyUsd: number;
  readonly lines: CostLine[];
  /** Parts of a priced resource without a price (not counted). */
  readonly notPriced?: string[];
}

export interface UnpricedItem {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly reason: string;
}

export interface PlanDelta {
  readonly stack: string;
  readonly beforeUsd: number;
  readonly afterUsd: number;
  readonly deltaUsd: number;
  /** Resources whose monthly price changes. */
  readonly changes: Array<{ address: string; beforeUsd: number; afterUsd: number; deltaUsd: number }>;
  readonly unpriced: UnpricedItem[];
}

export const DEFAULT_ASSUMPTIONS: Readonly<CostAssumptions>;
export const NO_CHARGE: Readonly<Record<string, string>>;
export const KNOWN_UNPRICED: Readonly<Record<string, string>>;
export const PRICES: PriceSnapshot;
export function cents(usd: number): number;
export function priceResources(resources: readonly CostResource[], options?: { assumptions?: Partial<CostAssumptions>; prices?: PriceSnapshot }): PricedResource[];
export function unpricedOf(priced: readonly PricedResource[]): UnpricedItem[];
export function resourcesOfStackJson(stack: string, json: unknown): CostResource[];
export function resourcesOfPlan(stack: string, plan: unknown, defaultRegion: string): { before: CostResource[]; after: CostResource[] };
export function planDelta(stack: string, plan: unknown, options: { defaultRegion: string; assumptions?: Partial<CostAssumptions>; prices?: PriceSnapshot }): PlanDelta;
export function defaultRegionOf(json: unknown): string | undefined;
