// JSON schemas for the Dapr custom resources used in deploy/k8s (dapr.io/v1alpha1 Component,
// Resiliency, Configuration). There is no published schema package for them, so these follow the
// Dapr resource specifications, stricter than the CRDs where a typo would otherwise pass silently
// (unknown fields are rejected in the parts this suite uses), plus cross-reference checks that a
// schema cannot express (a Resiliency target names a policy that exists).

const goDuration = {
  type: "string",
  pattern: "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$",
};

const objectMeta = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 253 },
    namespace: { type: "string" },
    labels: { type: "object", additionalProperties: { type: "string" } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
  },
};

const scopes = { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true };

function resource(kind, spec, required = ["spec"], extra = {}) {
  return {
    type: "object",
    required: ["apiVersion", "kind", "metadata", ...required],
    additionalProperties: false,
    properties: {
      apiVersion: { const: "dapr.io/v1alpha1" },
      kind: { const: kind },
      metadata: objectMeta,
      spec,
      scopes,
      ...extra,
    },
  };
}

const component = resource(
  "Component",
  {
    type: "object",
    required: ["type", "version", "metadata"],
    additionalProperties: false,
    properties: {
      // e.g. pubsub.redis, state.redis, secretstores.kubernetes
      type: { type: "string", pattern: "^[a-z]+\\.[a-z0-9][a-z0-9.\\-]*$" },
      version: { type: "string", pattern: "^v[0-9]+$" },
      initTimeout: goDuration,
      ignoreErrors: { type: "boolean" },
      metadata: {
        type: "array",
        items: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1 },
            // Strings only: an unquoted YAML true/10 would reach Dapr with a different type.
            value: { type: "string" },
            envRef: { type: "string" },
            secretKeyRef: {
              type: "object",
              required: ["name", "key"],
              additionalProperties: false,
              properties: { name: { type: "string" }, key: { type: "string" } },
            },
          },
          oneOf: [{ required: ["value"] }, { required: ["secretKeyRef"] }, { required: ["envRef"] }],
        },
      },
    },
  },
  ["spec"],
  {
    auth: {
      type: "object",
      required: ["secretStore"],
      additionalProperties: false,
      properties: { secretStore: { type: "string" } },
    },
  },
);

const targetPolicyRefs = {
  type: "object",
  additionalProperties: false,
  properties: {
    timeout: { type: "string" },
    retry: { type: "string" },
    circuitBreaker: { type: "string" },
    circuitBreakerScope: { type: "string" },
    circuitBreakerCacheSize: { type: "integer", minimum: 1 },
  },
};

const resiliency = resource("Resiliency", {
  type: "object",
  required: ["policies", "targets"],
  additionalProperties: false,
  properties: {
    policies: {
      type: "object",
      additionalProperties: false,
      properties: {
        timeouts: { type: "object", additionalProperties: goDuration },
        retries: {
          type: "object",
          additionalProperties: {
            type: "object",
            required: ["policy"],
            additionalProperties: false,
            properties: {
              policy: { enum: ["constant", "exponential"] },
              duration: goDuration,
              maxInterval: goDuration,
              maxRetries: { type: "integer", minimum: -1 },
              matching: {
                type: "object",
                additionalProperties: false,
                properties: {
                  httpStatusCodes: { type: "string" },
                  gRPCStatusCodes: { type: "string" },
                },
              },
            },
          },
        },
        circuitBreakers: {
          type: "object",
          additionalProperties: {
            type: "object",
            required: ["trip"],
            additionalProperties: false,
            properties: {
              maxRequests: { type: "integer", minimum: 0 },
              interval: goDuration,
              timeout: goDuration,
              trip: { type: "string", minLength: 1 },
            },
          },
        },
      },
    },
    targets: {
      type: "object",
      additionalProperties: false,
      properties: {
        apps: { type: "object", additionalProperties: targetPolicyRefs },
        actors: { type: "object", additionalProperties: targetPolicyRefs },
        components: {
          type: "object",
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            properties: { outbound: targetPolicyRefs, inbound: targetPolicyRefs },
          },
        },
      },
    },
  },
});

const configuration = resource("Configuration", {
  type: "object",
  additionalProperties: false,
  properties: {
    tracing: {
      type: "object",
      additionalProperties: false,
      properties: {
        samplingRate: { type: "string", pattern: "^(0(\\.[0-9]+)?|1(\\.0+)?)$" },
        stdout: { type: "boolean" },
        otel: {
          type: "object",
          required: ["endpointAddress"],
          additionalProperties: false,
          properties: {
            endpointAddress: { type: "string", minLength: 1 },
            isSecure: { type: "boolean" },
            protocol: { enum: ["grpc", "http"] },
            headers: { type: "string" },
            timeout: goDuration,
          },
        },
        zipkin: {
          type: "object",
          additionalProperties: false,
          properties: { endpointAddress: { type: "string" } },
        },
      },
    },
    metric: { type: "object" },
    metrics: { type: "object" },
    mtls: { type: "object" },
    logging: { type: "object" },
    api: { type: "object" },
    secrets: { type: "object" },
    components: { type: "object" },
    nameResolution: { type: "object" },
    httpPipeline: { type: "object" },
    appHttpPipeline: { type: "object" },
    wasm: { type: "object" },
    workflow: { type: "object" },
    features: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "enabled"],
        additionalProperties: false,
        properties: { name: { type: "string" }, enabled: { type: "boolean" } },
      },
    },
    accessControl: {
      type: "object",
      additionalProperties: false,
      properties: {
        defaultAction: { enum: ["allow", "deny"] },
        trustDomain: { type: "string" },
        policies: { type: "array", items: { type: "object" } },
      },
    },
  },
});

export const daprSchemas = {
  "dapr.io/v1alpha1/Component": component,
  "dapr.io/v1alpha1/Resiliency": resiliency,
  "dapr.io/v1alpha1/Configuration": configuration,
};

/** Checks a schema cannot express; returns a list of messages. */
export function daprCrossChecks(doc) {
  const problems = [];
  if (doc.kind === "Resiliency") {
    const policies = doc.spec?.policies ?? {};
    const kinds = { timeout: "timeouts", retry: "retries", circuitBreaker: "circuitBreakers" };
    const checkRefs = (where, refs) => {
      for (const [field, table] of Object.entries(kinds)) {
        const name = refs?.[field];
        if (name !== undefined && !(name in (policies[table] ?? {}))) {
          problems.push(`${where}.${field} names "${name}", which is not in spec.policies.${table}`);
        }
      }
    };
    const targets = doc.spec?.targets ?? {};
    for (const [app, refs] of Object.entries(targets.apps ?? {})) checkRefs(`targets.apps.${app}`, refs);
    for (const [actor, refs] of Object.entries(targets.actors ?? {})) checkRefs(`targets.actors.${actor}`, refs);
    for (const [comp, dirs] of Object.entries(targets.components ?? {})) {
      for (const [dir, refs] of Object.entries(dirs ?? {})) checkRefs(`targets.components.${comp}.${dir}`, refs);
    }
  }
  if (doc.kind === "Component") {
    const names = (doc.spec?.metadata ?? []).map((m) => m.name);
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    if (dupes.length > 0) problems.push(`spec.metadata has duplicate names: ${[...new Set(dupes)].join(", ")}`);
  }
  return problems;
}
