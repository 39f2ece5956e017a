/**
 * Generates src/api/generated/k8s-types.ts: the fields of the Kubernetes
 * types that IstioOperator embeds (k8s.tolerations, k8s.hpaSpec,
 * values.pilot.affinity, …), read from the model classes of the published
 * @kubernetes/client-node package (each has a static attributeTypeMap:
 * field name, wire name, TypeScript type, format). Writing these types by
 * hand would be a second copy of Kubernetes' API to keep in step; reading the
 * package at run time would load ~900 model modules on every CLI start.
 *
 *   node --import tsx scripts/write-k8s-types.ts
 *
 * After a client-node upgrade run it, then scripts/write-crd.ts and
 * scripts/write-validator.ts. A unit test fails when the committed file
 * differs from a fresh generation.
 */
import * as k8s from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where the generated table lives. */
export const GENERATED_K8S_TYPES = fileURLToPath(
  new URL('../src/api/generated/k8s-types.ts', import.meta.url),
);

/**
 * The Kubernetes types the IstioOperator schema names (src/api/schema/k8s.ts
 * and values.ts); every type they reach is generated too.
 */
export const K8S_ROOT_TYPES = [
  'V1Affinity',
  'V1EnvVar',
  'V1Lifecycle',
  'V1LabelSelector',
  'V1PodSecurityContext',
  'V1Probe',
  'V1ResourceRequirements',
  'V1SeccompProfile',
  'V1SessionAffinityConfig',
  'V1Toleration',
  'V1TopologySpreadConstraint',
  'V1Volume',
  'V1VolumeMount',
  'V2HorizontalPodAutoscalerBehavior',
  'V2HorizontalPodAutoscalerSpec',
] as const;

/**
 * Fields of type resource.Quantity. client-node types a quantity as a plain
 * string, but Kubernetes (and istioctl's Go decoding) also takes a number
 * (`averageValue: 100`), so these become "quantity": an integer or a string
 * in quantity form. Every entry must exist and be a string (the generator
 * checks); a new Quantity field in a later Kubernetes needs an entry here.
 */
export const QUANTITY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
  V1ResourceRequirements: ['limits', 'requests'],
  V1VolumeResourceRequirements: ['limits', 'requests'],
  V2HPAScalingRules: ['tolerance'],
  V2MetricTarget: ['averageValue', 'value'],
};

/** One entry of a client-node model's attributeTypeMap. */
interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

type Model = { getAttributeTypeMap(): Attribute[] };

function model(name: string): Model | undefined {
  const m = (k8s as unknown as Record<string, unknown>)[name];
  return typeof m === 'function' && 'getAttributeTypeMap' in m
    ? (m as unknown as Model)
    : undefined;
}

/**
 * A field's type in the table's notation: `string`, `boolean`, `int32`,
 * `int64`, `number`, `int-or-string`, `quantity`, `date-time`, `any`,
 * `[]T`, `map[string]T`, or the name of another type in the table.
 */
function typeExpr(owner: string, a: Attribute, reach: (t: string) => void): string {
  const quantity = QUANTITY_FIELDS[owner]?.includes(a.baseName) ?? false;
  const expr = (t: string, format: string): string => {
    const list = /^Array<(.+)>$/.exec(t);
    if (list) return `[]${expr(list[1]!, format)}`;
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
    if (map) return `map[string]${expr(map[1]!, format)}`;
    switch (t) {
      case 'string':
        return quantity ? 'quantity' : 'string';
      case 'boolean':
        return 'boolean';
      case 'number':
        return format === 'int32' || format === 'int64' ? format : 'number';
      case 'IntOrString':
        return 'int-or-string';
      case 'Date':
        return 'date-time';
      case 'any':
        return 'any';
    }
    if (!model(t)) throw new Error(`${owner}.${a.baseName}: unknown type ${t}`);
    reach(t);
    return t;
  };
  const out = expr(a.type, a.format);
  if (quantity && !/(^|\])quantity$/.test(out)) {
    throw new Error(`${owner}.${a.baseName} is listed as a quantity but is ${a.type}`);
  }
  return out;
}

/** Every reachable type, by name, with its fields (wire name → type), names sorted. */
export function k8sTypeTable(): Record<string, Record<string, string>> {
  const table: Record<string, Record<string, string>> = {};
  const queue: string[] = [...K8S_ROOT_TYPES];
  const reach = (t: string) => {
    if (!(t in table) && !queue.includes(t)) queue.push(t);
  };
  while (queue.length) {
    const name = queue.shift()!;
    const m = model(name);
    if (!m) throw new Error(`@kubernetes/client-node has no model ${name}`);
    const fields: Record<string, string> = {};
    for (const a of m.getAttributeTypeMap()) fields[a.baseName] = typeExpr(name, a, reach);
    table[name] = fields;
  }
  for (const [owner, names] of Object.entries(QUANTITY_FIELDS)) {
    for (const f of names) {
      if (!table[owner]?.[f]) throw new Error(`quantity field ${owner}.${f} is not generated`);
    }
  }
  return Object.fromEntries(
    Object.keys(table)
      .sort()
      .map((k) => [k, table[k]!]),
  );
}

/** The client-node version and the Kubernetes API version its models were generated from. */
function sourceVersions(): { clientNode: string; kubernetes: string } {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@kubernetes/client-node/package.json');
  const clientNode = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  const toleration = readFileSync(
    new URL('dist/gen/models/V1Toleration.js', pathToFileURL(pkg)),
    'utf8',
  );
  const kubernetes = /OpenAPI spec version: (v[0-9.]+)/.exec(toleration)?.[1] ?? 'unknown';
  return { clientNode, kubernetes };
}

/** The generated module's source text. */
export function k8sTypesSource(): string {
  const { clientNode, kubernetes } = sourceVersions();
  const q = (s: string) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : `'${s}'`);
  const lines = Object.entries(k8sTypeTable()).map(
    ([name, fields]) =>
      `  ${name}: {\n` +
      Object.entries(fields)
        .map(([f, t]) => `    ${q(f)}: '${t}',\n`)
        .join('') +
      '  },\n',
  );
  return (
    `// Generated by scripts/write-k8s-types.ts from @kubernetes/client-node ${clientNode}\n` +
    `// (Kubernetes API ${kubernetes}); do not edit.\n\n` +
    `/** The Kubernetes API version the types below come from. */\n` +
    `export const K8S_TYPES_API_VERSION = '${kubernetes}';\n\n` +
    '/**\n' +
    ' * Kubernetes types by client-node model name: field (as written in YAML) to\n' +
    ' * type (see scripts/write-k8s-types.ts, typeExpr, for the notation).\n' +
    ' */\n' +
    `export const K8S_TYPES = {\n${lines.join('')}} as const;\n`
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(GENERATED_K8S_TYPES, k8sTypesSource());
  process.stdout.write(`wrote ${GENERATED_K8S_TYPES}\n`);
}
