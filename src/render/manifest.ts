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

function finish(
  plan: RenderPlan,
  c: ComponentPlan,
  objects: K8sObject[],
  target: K8sTarget | undefined,
  where: string,
): K8sObject[] {
  let out = target ? applyK8sSettings(objects, c.k8s, target) : objects;
  out = applyOverlays(out, c.k8s.overlays, where);
  return withOwnership(out, ownershipLabels(plan, c));
}

/**
 * Renders a finished plan (translate's) into Kubernetes objects: render
 * each enabled component, apply its k8s settings and overlays,
 * stamp ownership labels, and sort. Pure: no I/O, no clock, no randomness,
 * so two renders of the same input are identical.
 */
export function renderManifest(plan: RenderPlan): Manifest {
  const components: RenderedComponent[] = [];
  if (plan.base) {
    const c = plan.base;
    components.push({
      component: 'Base',
      objects: finish(plan, c, renderBase(plan, c), undefined, 'spec.components.base'),
    });
  }
  if (plan.pilot) {
    const c = plan.pilot;
    const target = {
      workloadKind: 'Deployment',
      name: istiodName(plan.revision),
      container: 'discovery',
    };
    components.push({
      component: 'Pilot',
      objects: finish(plan, c, renderPilot(plan, c), target, 'spec.components.pilot'),
    });
  }
  if (plan.cni) {
    const c = plan.cni;
    const target = { workloadKind: 'DaemonSet', name: 'istio-cni-node', container: 'install-cni' };
    components.push({
      component: 'Cni',
      objects: finish(plan, c, renderCni(c), target, 'spec.components.cni'),
    });
  }
  if (plan.ztunnel) {
    const c = plan.ztunnel;
    const target = { workloadKind: 'DaemonSet', name: 'ztunnel', container: 'istio-proxy' };
    components.push({
      component: 'Ztunnel',
      objects: finish(plan, c, renderZtunnel(c), target, 'spec.components.ztunnel'),
    });
  }
  for (const g of plan.gateways) {
    const list = g.component === 'IngressGateways' ? 'ingressGateways' : 'egressGateways';
    const where = `spec.components.${list}[name=${g.name}]`;
    const target = {
      workloadKind: 'Deployment',
      name: g.name,
      container: 'istio-proxy',
      servicePortsFromValues: true,
    };
    components.push({
      component: g.component,
      gateway: g.name,
      objects: finish(plan, g, renderGateway(plan, g), target, where),
    });
  }
  return { plan, components, objects: sortObjects(components.flatMap((c) => c.objects)) };
}
