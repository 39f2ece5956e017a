/**
 * client-node's ApiException, imported from its own file: the package's
 * entry point loads the whole generated Kubernetes API (~75 MiB), and this
 * class is all the operator's requests need of it. It is the very class the
 * package exports (the same module), so `instanceof` holds for errors from
 * client-node's own clients and from ours alike.
 */
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
