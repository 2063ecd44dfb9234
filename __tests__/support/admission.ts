/**
 * A Kubernetes ValidatingAdmissionPolicy, as Slipway synthesizes it, evaluated the way the API
 * server evaluates it: does the request fall under its `matchConstraints` and `matchConditions`, and
 * which of its `validations` deny it. The CEL is run by a real CEL evaluator (@bufbuild/cel, which
 * passes the CEL conformance suite), not read as text: an expression that does not parse, names a
 * field wrongly or lets a request through fails here.
 *
 * The expressions may hold Terraform references (`${aws_db_instance.X.address}`) that Terraform
 * fills in at apply; the caller gives each a value, and one it did not give fails loudly.
 */
import { CelInput, isCelError, run } from "@bufbuild/cel";

type Json = any;

/** What the API server puts in `request` (the fields the policies read) and the objects. */
export interface AdmissionRequest {
  readonly operation: "CREATE" | "UPDATE" | "DELETE";
  /** The plural resource, e.g. `namespaces`, `rolebindings`, `pods`. */
  readonly resource: string;
  readonly apiGroup?: string;
  /** The namespace of a namespaced object; absent for a namespace itself. */
  readonly namespace?: string;
  /** The requester's groups. */
  readonly groups: readonly string[];
  /** The object as it would be stored (absent for DELETE). */
  readonly object?: Json;
  /** The object as stored before (UPDATE, DELETE). */
  readonly oldObject?: Json;
}

export interface AdmissionResult {
  /** Whether the policy applies: the request matches a resource rule and every match condition holds. */
  readonly matched: boolean;
  /** The messages of the validations that deny it (none: admitted). */
  readonly denied: string[];
  /**
   * Expressions that failed to evaluate (a missing field, a type error), each with its error. The
   * API server denies on these too (`failurePolicy: Fail`); they are listed apart so a test can
   * tell a rule that says no from a rule that broke.
   */
  readonly errors: string[];
}

/** `text` with each `${terraform reference}` replaced by its value in `values` (a CEL-safe string). */
export function fillReferences(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([^}]+)\}/g, (_match, reference: string) => {
    if (!(reference in values)) throw new Error(`no value given for the Terraform reference \${${reference}} in: ${text}`);
    return values[reference];
  });
}

/**
 * A value for each Terraform reference in `json` (policies, templates), from the first of `fills`
 * whose pattern matches it. A reference no pattern matches fails loudly, so one added to a policy
 * or template is seen here rather than left unfilled.
 */
export function referenceValues(json: unknown, fills: readonly (readonly [RegExp, string])[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [, reference] of JSON.stringify(json).matchAll(/\$\{([^}]+)\}/g)) {
    const fill = fills.find(([pattern]) => pattern.test(reference));
    if (!fill) throw new Error(`no value given for the Terraform reference \${${reference}}: add a pattern for it`);
    values[reference] = fill[1];
  }
  return values;
}

/** A JSON value as the CEL evaluator takes it: objects as maps, whole numbers as CEL ints. */
function toCel(value: Json): CelInput {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return value;
}

/**
 * Whether a resource rule of the policy covers the request (group, resource, operation) and its
 * namespace selector the request's namespace. Only the selector Slipway writes is understood (the
 * namespace's own name label); any other fails loudly rather than matching by accident.
 */
function inConstraints(policy: Json, request: AdmissionRequest): boolean {
  const selector = policy.spec.matchConstraints?.namespaceSelector;
  if (selector !== undefined) {
    const labels = Object.keys(selector.matchLabels ?? {});
    if (selector.matchExpressions !== undefined || labels.some((l) => l !== "kubernetes.io/metadata.name")) {
      throw new Error(`namespaceSelector ${JSON.stringify(selector)}: only matchLabels on kubernetes.io/metadata.name is modelled here`);
    }
    if (labels.length > 0 && selector.matchLabels["kubernetes.io/metadata.name"] !== request.namespace) return false;
  }
  return (policy.spec.matchConstraints?.resourceRules ?? []).some(
    (rule: Json) =>
      (rule.apiGroups ?? ["*"]).some((g: string) => g === "*" || g === (request.apiGroup ?? "")) &&
      rule.resources.some((r: string) => r === "*" || r === request.resource) &&
      rule.operations.some((o: string) => o === "*" || o === request.operation),
  );
}

/** `policy` (the synthesized manifest) evaluated for `request`; `values` fills the Terraform references. */
export function admission(policy: Json, request: AdmissionRequest, values: Record<string, string> = {}): AdmissionResult {
  const bindings = {
    object: toCel(request.object ?? null),
    oldObject: toCel(request.oldObject ?? null),
    request: toCel({
      operation: request.operation,
      namespace: request.namespace ?? "",
      userInfo: { groups: [...request.groups] },
      resource: { group: request.apiGroup ?? "", resource: request.resource },
    }),
  };
  const errors: string[] = [];
  // true, false, or undefined when the expression failed to evaluate (recorded in `errors`).
  const evaluate = (expression: string): boolean | undefined => {
    const result = run(fillReferences(expression, values), bindings);
    if (isCelError(result)) {
      errors.push(`${expression}: ${result.message}`);
      return undefined;
    }
    if (typeof result !== "boolean") throw new Error(`${expression}\nevaluated to ${String(result)}, not a boolean`);
    return result;
  };
  if (!inConstraints(policy, request)) return { matched: false, denied: [], errors };
  const conditions = (policy.spec.matchConditions ?? []).map((c: Json) => evaluate(c.expression));
  // A condition that is false means the policy does not apply; one that errs denies (failurePolicy Fail).
  if (conditions.some((c: boolean | undefined) => c === false)) return { matched: false, denied: [], errors };
  if (conditions.some((c: boolean | undefined) => c === undefined)) return { matched: true, denied: ["a match condition failed to evaluate"], errors };
  const denied = (policy.spec.validations ?? []).filter((v: Json) => evaluate(v.expression) !== true).map((v: Json) => v.message);
  return { matched: true, denied, errors };
}

/** Terraform kubernetes-provider block names that are Kubernetes list fields of another name. */
const LIST_FIELDS: Record<string, string> = {
  container: "containers",
  init_container: "initContainers",
  ephemeral_container: "ephemeralContainers",
  volume: "volumes",
  volume_mount: "volumeMounts",
  env_from: "envFrom",
  toleration: "tolerations",
  image_pull_secrets: "imagePullSecrets",
};
/** Attributes whose keys are data (labels, CSI attributes, quantities), never renamed. */
const MAP_FIELDS = new Set(["labels", "annotations", "volume_attributes", "limits", "requests", "node_selector"]);
/** Attributes the provider writes as strings that Kubernetes holds as numbers. */
const NUMBER_FIELDS = new Set(["fs_group", "run_as_user", "run_as_group"]);

/**
 * A pod spec as the Terraform kubernetes provider writes it in a synthesized stack (snake_case,
 * singular block names, `container` for `containers`) in Kubernetes' own shape, as the API server
 * admits the pod a Job made from it: what an admission policy sees. The fields Slipway's pod
 * templates use are mapped; `values` fills the Terraform references.
 */
export function podSpecFromTerraform(spec: Json, values: Record<string, string>): Json {
  const convert = (value: Json, key?: string): Json => {
    if (typeof value === "string") {
      const filled = fillReferences(value, values);
      return key !== undefined && NUMBER_FIELDS.has(key) ? Number(filled) : filled;
    }
    if (Array.isArray(value)) return value.map((v) => convert(v));
    if (value === null || typeof value !== "object") return value;
    if (key !== undefined && MAP_FIELDS.has(key)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [LIST_FIELDS[k] ?? k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), convert(v, k)]),
    );
  };
  return convert(spec);
}
