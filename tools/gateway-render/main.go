// gateway-render renders Gateway API Gateways exactly as istiod 1.27's
// Gateway deployment controller does, offline: it runs Istio's own
// controller (pilot/pkg/config/kube/gateway) against an in-memory fake
// cluster, with the injection templates, values and mesh config taken from
// an injector ConfigMap and a mesh ConfigMap, and prints every object the
// controller would server-side apply. The conformance suite runs it once
// with istioctl's ConfigMaps and once with ours and compares the objects:
// the proof that our kube-gateway and waypoint templates yield what
// Istio's do.
//
// Usage:
//
//	gateway-render -config config.yaml -values values.json -mesh mesh.yaml \
//	  [-revision r] [-kube-minor 34] -o out.yaml inputs.yaml
//
// inputs.yaml holds Gateways (gateway.networking.k8s.io v1 or v1beta1),
// and optionally Namespaces and ConfigMaps (parametersRef targets, class
// defaults). Features follow istiod's environment variables
// (PILOT_ENABLE_AMBIENT=true for waypoints).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubeVersion "k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	gateway "sigs.k8s.io/gateway-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	gatewaycontroller "istio.io/istio/pilot/pkg/config/kube/gateway"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/kclient"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/revisions"
)

func main() {
	configFile := flag.String("config", "", "the injector ConfigMap's `config` key (templates)")
	valuesFile := flag.String("values", "", "the injector ConfigMap's `values` key")
	meshFile := flag.String("mesh", "", "the mesh ConfigMap's `mesh` key")
	revision := flag.String("revision", "", "istiod's revision (empty for the default revision)")
	systemNamespace := flag.String("system-namespace", "istio-system", "istiod's namespace")
	kubeMinor := flag.String("kube-minor", "34", "minor version of the Kubernetes API server the controller sees")
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	if *configFile == "" || *valuesFile == "" || *meshFile == "" || flag.NArg() != 1 {
		fail("usage: gateway-render -config FILE -values FILE -mesh FILE [-revision R] [-o OUT] INPUTS.yaml")
	}
	// Istio's logs are not part of the output.
	opts := istiolog.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.SetDefaultOutputLevel("all", istiolog.WarnLevel)
	if err := istiolog.Configure(opts); err != nil {
		fail("configuring logs: %v", err)
	}

	injectConfig, err := inject.UnmarshalConfig(read(*configFile))
	if err != nil {
		fail("%s: %v", *configFile, err)
	}
	values, err := inject.NewValuesConfig(string(read(*valuesFile)))
	if err != nil {
		fail("%s: %v", *valuesFile, err)
	}
	meshConfig, err := mesh.ApplyMeshConfigDefaults(string(read(*meshFile)))
	if err != nil {
		fail("%s: %v", *meshFile, err)
	}
	webhookConfig := func() inject.WebhookConfig {
		return inject.WebhookConfig{Templates: injectConfig.Templates, Values: values, MeshConfig: meshConfig}
	}

	others, gateways := decodeInputs(read(flag.Arg(0)))
	client := kube.NewFakeClient(others...)
	client.Kube().Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &kubeVersion.Info{
		Major: "1", Minor: *kubeMinor, GitVersion: fmt.Sprintf("v1.%s.0", *kubeMinor),
	}
	for _, gw := range gateways {
		if _, err := kclient.NewWriteClient[*gateway.Gateway](client).Create(gw); err != nil {
			fail("creating Gateway %s/%s: %v", gw.Namespace, gw.Name, err)
		}
	}

	// As istiod builds it: no ProxyConfig resources, so each gateway's proxy
	// config is the mesh's defaultConfig over the built-in defaults.
	env := model.NewEnvironment()
	env.PushContext().ProxyConfigs = model.GetProxyConfigs(model.NewFakeStore(), meshConfig)

	// Instead of server-side applying, collect what the controller would
	// apply; the Gateway's own controller-version annotation (a status
	// patch) is not a rendered object.
	var buf bytes.Buffer
	var applyErr error
	client.Dynamic().(*dynamicfake.FakeDynamicClient).PrependReactor("patch", "*",
		func(action clienttesting.Action) (bool, runtime.Object, error) {
			patch := action.(clienttesting.PatchAction)
			if patch.GetSubresource() != "" {
				return true, nil, nil
			}
			y, err := yaml.JSONToYAML(patch.GetPatch())
			if err != nil {
				applyErr = err
				return true, nil, err
			}
			buf.WriteString("---\n")
			buf.Write(y)
			return true, nil, nil
		})

	stop := make(chan struct{})
	defer close(stop)
	tags := revisions.NewTagWatcher(client, *revision)
	controller := gatewaycontroller.NewDeploymentController(
		client, cluster.ID("Kubernetes"), env, webhookConfig, func(func()) {}, tags, *revision, *systemNamespace)
	client.RunAndWait(stop)
	go tags.Run(stop)
	if !kube.WaitForCacheSync("gateway-render", stop, tags.HasSynced) {
		fail("the revision tag watcher did not sync")
	}
	// One reconcile per Gateway, in input order, as the controller's queue would run them.
	for _, gw := range gateways {
		if err := controller.Reconcile(types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}); err != nil {
			fail("reconciling Gateway %s/%s: %v", gw.Namespace, gw.Name, err)
		}
	}
	if applyErr != nil {
		fail("%v", applyErr)
	}

	if *out == "" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fail("writing %s: %v", *out, err)
	}
}

// decodeInputs splits the input documents into Gateways and other objects.
func decodeInputs(data []byte) ([]runtime.Object, []*gateway.Gateway) {
	var others []runtime.Object
	var gateways []*gateway.Gateway
	for i, doc := range strings.Split("\n"+string(data), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			fail("document %d: %v", i+1, err)
		}
		var obj runtime.Object
		switch head.Kind {
		case "Gateway":
			// v1 and v1beta1 Gateways have the same shape; the controller reads v1beta1.
			gw := &gateway.Gateway{}
			if err := yaml.UnmarshalStrict([]byte(doc), gw); err != nil {
				fail("document %d (Gateway): %v", i+1, err)
			}
			gw.APIVersion = gateway.GroupVersion.String()
			gateways = append(gateways, gw)
			continue
		case "Namespace":
			obj = &corev1.Namespace{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		default:
			fail("document %d: kind %q is not supported (Gateway, Namespace, ConfigMap)", i+1, head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			fail("document %d (%s): %v", i+1, head.Kind, err)
		}
		others = append(others, obj)
	}
	return others, gateways
}

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return b
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gateway-render: "+format+"\n", args...)
	os.Exit(2)
}
