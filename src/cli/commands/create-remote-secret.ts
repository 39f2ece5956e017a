import { Command, Option } from 'commander';
import { parseDuration } from '../duration.js';
import { UserError } from '../errors.js';
import { loadKubeAccess, withKubeFlags, type KubeFlags } from '../kube-flags.js';

interface RemoteSecretOpts extends KubeFlags {
  name?: string;
  server?: string;
  type: 'remote' | 'config';
  namespace: string;
  serviceAccount?: string;
  timeout: string;
}

/** A cluster ID istiod accepts as a Secret data key and in injector paths. */
const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * `istio-operator create-remote-secret`: prints the Secret that lets the
 * istiod of another cluster reach this one through its reader
 * ServiceAccount, the same Secret `istioctl create-remote-secret` prints.
 * It talks only to the cluster it describes; the Secret is applied to the
 * cluster running istiod by the user (or their GitOps repository), since it
 * carries a credential that should travel the way their secrets do.
 */
export function createRemoteSecretCommand(): Command {
  return withKubeFlags(
    new Command('create-remote-secret').description(
      'print a Secret that gives the istiod of another cluster access to this cluster, through ' +
        'the reader ServiceAccount that Istio installs (remote profile, or any primary). It creates ' +
        'the ServiceAccount token Secret if there is none and waits for the token. Apply the output ' +
        "to the cluster that runs istiod, in its Istio namespace; the shape is istioctl's",
    ),
  )
    .option(
      '--name <cluster>',
      "this cluster's ID: the remote's values.global.multiCluster.clusterName (required)",
    )
    .option(
      '--server <url>',
      "the API server address istiod is to use (default: the kubeconfig's server for this cluster)",
    )
    .addOption(
      new Option(
        '--type <type>',
        'remote: istiod discovers this cluster; config: this cluster holds the Istio configuration of an external istiod',
      )
        .choices(['remote', 'config'])
        .default('remote'),
    )
    .option(
      '-n, --namespace <ns>',
      'the Istio namespace: where the reader is here, and where the Secret goes there',
      'istio-system',
    )
    .option(
      '--service-account <name>',
      'whose token the Secret carries (default: istio-reader-service-account; istiod for --type config)',
    )
    .option('--timeout <duration>', 'how long to wait for the token', '1m')
    .addHelpText(
      'after',
      '\nThe Secret on stdout holds a token of this cluster: treat it as a credential. Progress goes to stderr.\n' +
        '\nExamples:\n' +
        '  # connect cluster-b (remote) to the istiod of cluster-a (primary)\n' +
        '  istio-operator create-remote-secret --context cluster-b --name cluster-b \\\n' +
        '    | kubectl apply --context cluster-a -f -\n' +
        "  # an address reachable from cluster-a instead of the kubeconfig's\n" +
        '  istio-operator create-remote-secret --kubeconfig b.yaml --name cluster-b --server https://10.1.2.3:6443\n' +
        '  # the config cluster of an external istiod\n' +
        '  istio-operator create-remote-secret --context config --name config --type config > secret.yaml\n',
    )
    .action(async (o: RemoteSecretOpts) => {
      if (!o.name)
        throw new UserError(
          "--name is required: give this cluster's ID, the values.global.multiCluster.clusterName of its IstioOperator",
        );
      if (!CLUSTER_NAME.test(o.name))
        throw new UserError(
          `--name ${JSON.stringify(o.name)}: a cluster ID is 1 to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
        );
      if (o.server !== undefined && !/^https?:\/\/[^/]+/.test(o.server))
        throw new UserError(
          `--server ${JSON.stringify(o.server)}: give the API server's URL, e.g. https://10.1.2.3:6443`,
        );
      const timeoutMs = parseDuration(o.timeout);
      const [
        { KubeClient },
        { ensureReaderToken, ReaderTokenError },
        { defaultServiceAccount, remoteSecretName, remoteSecretYaml },
      ] = await Promise.all([
        import('../../kube/client.js'),
        import('../../apply/reader-token.js'),
        import('../../render/remote-secret.js'),
      ]);
      const access = await loadKubeAccess(o);
      const server = o.server ?? access.getCurrentCluster()?.server;
      if (!server)
        throw new UserError('the kubeconfig names no server for this cluster: pass --server URL');
      const client = new KubeClient(access);
      let token;
      try {
        token = await ensureReaderToken(client, {
          namespace: o.namespace,
          serviceAccount: o.serviceAccount ?? defaultServiceAccount(o.type),
          timeoutMs,
          onProgress: (l) => process.stderr.write(`• ${l}\n`),
        });
      } catch (err) {
        if (err instanceof ReaderTokenError) throw new UserError(err.message);
        throw err;
      }
      process.stdout.write(
        remoteSecretYaml({
          clusterName: o.name,
          server,
          caPem: token.caPem,
          token: token.token,
          namespace: o.namespace,
          type: o.type,
        }),
      );
      process.stderr.write(
        `• Secret ${remoteSecretName(o.name, o.type)} for ${server}: ` +
          `apply it to the cluster that runs istiod (namespace ${o.namespace})\n`,
      );
    });
}
