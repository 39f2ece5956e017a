/** The `sidecar` template (Go text/template producing a Pod patch). */
export const sidecarTemplate = 'spec: {}\n';
