/**
 * A service on Kubernetes: its configuration is validated with errors naming the path, the runbook's
 * target never carries how to reach the cluster, and the activities refuse services that do not name a
 * Deployment before any client is made.
 */
import path from 'node:path';
import { createIncidentActivities } from '../../../../activities';
import { parseQuantity } from '../../../../activities/platform/kubernetes';
import { runbookTarget, toIncidentPolicy } from '../../../../activities/policy';
import { checkTargets } from '../../../../activities/targets';
import { ConfigError, parseConfig } from '../../../../config';
import { rawTestConfig, testConfig } from '../../../../scripts/testbed/config';
import { tempDir } from '../../../../scripts/testbed/temporal';

const kubernetes = { kubeconfig: '/etc/kube/config', namespace: 'insights', deployment: 'insights-app' };

describe('Kubernetes targets', () => {
  test('quantities: binary and decimal suffixes, plain bytes, and what is not a quantity', () => {
    expect(parseQuantity('256Mi')).toBe(268435456);
    expect(parseQuantity('1Gi')).toBe(1073741824);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('268435456')).toBe(268435456);
    expect(parseQuantity('1.5Gi')).toBe(1610612736);
    expect(parseQuantity(undefined)).toBeNull();
    expect(parseQuantity('lots')).toBeNull();
  });

  test('a service names a container or a Deployment, not both; names are checked where they are', () => {
    const parse = (svc: object) => {
      try {
        parseConfig(rawTestConfig({ services: { shop: svc } }), 'conf.json');
        return null;
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(parse({ kubernetes })).toBeNull();
    expect(parse({ container: 'shop-app', kubernetes })).toMatch(
      /services\.shop\.kubernetes.*either in a container or on Kubernetes/,
    );
    expect(parse({ kubernetes: { ...kubernetes, namespace: 'Insights_Prod' } })).toMatch(
      /services\.shop\.kubernetes\.namespace.*Kubernetes name/,
    );
    expect(parse({ kubernetes: { ...kubernetes, kubeconfig: 'relative/config' } })).toMatch(
      /services\.shop\.kubernetes\.kubeconfig.*absolute path/,
    );
    expect(parse({ kubernetes: { ...kubernetes, replicas: 3 } })).toMatch(/services\.shop\.kubernetes/);
  });

  test('the runbook target is namespace/deployment; the kubeconfig stays out of the workflow input', () => {
    const config = testConfig({ services: { shop: { kubernetes, healthUrls: ['http://127.0.0.1:1/h'] } } });
    expect(runbookTarget(config.services.shop)).toEqual({
      container: 'insights/insights-app',
      platform: 'kubernetes',
      databaseContainer: null,
      databaseUrlEnv: null,
      healthUrls: ['http://127.0.0.1:1/h'],
    });
    const policy = toIncidentPolicy(config, 'shop', 'health');
    expect(policy.runbook?.target.platform).toBe('kubernetes');
    expect(JSON.stringify(policy)).not.toContain('/etc/kube/config');
    // Its ledger and probes go by that name; another cluster's Deployment does not.
    expect(() => checkTargets(config, { container: 'insights/insights-app' })).not.toThrow();
    expect(() => checkTargets(config, { container: 'kube-system/coredns' })).toThrow(
      /not in the configuration/,
    );
  });

  test('Deployment activities refuse a service that is not configured, or not on Kubernetes', async () => {
    const baseDir = tempDir();
    const config = testConfig({
      services: { shop: { kubernetes }, legacy: { container: 'legacy-app' } },
      docker: { socketPath: path.join(baseDir, 'no-docker.sock') },
    });
    const activities = createIncidentActivities({ config, baseDir, env: {} });
    await expect(
      activities.rolloutUndo({ service: 'payments', fromRevision: 2, toReplicaSet: 'x' }),
    ).rejects.toThrow(/service "payments" is not in the configuration/);
    await expect(activities.scaleDeployment({ service: 'constructor', replicas: 3 })).rejects.toThrow(
      /service "constructor" is not in the configuration/,
    );
    await expect(activities.describeDeployment({ service: 'legacy' })).rejects.toThrow(
      /does not run on Kubernetes/,
    );
  });
});
