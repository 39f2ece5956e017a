import type { ComponentName, ComponentPlan, RenderPlan } from '../translate/plan.js';
import { renderBase } from './base.js';
import { renderCni } from './cni.js';
import { renderGateway } from './gateway.js';
import { applyK8sSettings, type K8sTarget } from './k8s-settings.js';
import { ownershipLabels, withOwnership } from './labels.js';
import { istiodName } from './names.js';
import type { K8sObject } from './object.js';
import { sortObjects } from './order.js';
import { applyOverlays } from './overlays.js';
import { renderPilot } from './pilot.js';
import { renderZtunnel } from './ztunnel.js';

/** The objects of one component, after k8s settings, overlays and ownership labels. */
export interface RenderedComponent {
  component: ComponentName;
  /** Gateway name for gateway components; undefined otherwise. */
  gateway?: string;
  objects: K8sObject[];
}

/** The full render: per component, and all objects in output order. */
export interface Manifest {
  plan: RenderPlan;
  components: RenderedComponent[];
  /** Every object, sorted into the stable output order. */
  objects: K8sObject[];
}

/** What a component's renderer returned, and where the k8s settings and overlays apply. */
interface Rendered {
  component: ComponentName;
  gateway?: string;
  plan: ComponentPlan;
  objects: K8sObject[];
  /** The workload the k8s settings patch (none for Base). */
  target?: K8sTarget;
  /** The component's path in the spec, named by overlay errors. */
  where: string;
}

/** A component's objects after its k8s settings, overlays and ownership labels. */
function finish(plan: RenderPlan, r: Rendered): RenderedComponent {
  const c = r.plan;
  let out = r.target ? applyK8sSettings(r.objects, c.k8s, r.target) : r.objects;
  out = applyOverlays(out, c.k8s.overlays, r.where);
  const objects = withOwnership(out, ownershipLabels(plan, c));
  return {
    component: r.component,
    ...(r.gateway !== undefined ? { gateway: r.gateway } : {}),
    objects,
  };
}

/** The k8s settings' target of a node agent: its DaemonSet and main container. */
const daemonSet = (name: string, container: string): K8sTarget => ({
  workloadKind: 'DaemonSet',
  name,
  container,
});

/**
 * Renders a finished plan (translate's) into Kubernetes objects: render
 * each enabled component, apply its k8s settings and overlays,
 * stamp ownership labels, and sort. Pure: no I/O, no clock, no randomness,
 * so two renders of the same input are identical.
 */
export function renderManifest(plan: RenderPlan): Manifest {
  // Each component is finished as soon as it is rendered (an overlay error
  // of one stops the render before the next component's renderer runs).
  const components: RenderedComponent[] = [];
  const add = (r: Rendered) => components.push(finish(plan, r));
  const { base, pilot, cni, ztunnel } = plan;
  if (base) {
    const objects = renderBase(plan, base);
    add({ component: 'Base', plan: base, objects, where: 'spec.components.base' });
  }
  if (pilot) {
    add({
      component: 'Pilot',
      plan: pilot,
      objects: renderPilot(plan, pilot),
      target: {
        workloadKind: 'Deployment',
        name: istiodName(plan.revision),
        container: 'discovery',
      },
      where: 'spec.components.pilot',
    });
  }
  if (cni) {
    add({
      component: 'Cni',
      plan: cni,
      objects: renderCni(cni),
      target: daemonSet('istio-cni-node', 'install-cni'),
      where: 'spec.components.cni',
    });
  }
  if (ztunnel) {
    add({
      component: 'Ztunnel',
      plan: ztunnel,
      objects: renderZtunnel(ztunnel),
      target: daemonSet('ztunnel', 'istio-proxy'),
      where: 'spec.components.ztunnel',
    });
  }
  for (const g of plan.gateways) {
    const list = g.component === 'IngressGateways' ? 'ingressGateways' : 'egressGateways';
    add({
      component: g.component,
      gateway: g.name,
      plan: g,
      objects: renderGateway(plan, g),
      target: {
        workloadKind: 'Deployment',
        name: g.name,
        container: 'istio-proxy',
        servicePortsFromValues: true,
      },
      where: `spec.components.${list}[name=${g.name}]`,
    });
  }
  return { plan, components, objects: sortObjects(components.flatMap((c) => c.objects)) };
}
