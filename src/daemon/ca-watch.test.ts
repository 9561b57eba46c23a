import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CaStatus,
  generateNodeKeyAndCsr,
  RootCa,
  startRootRotation,
  type TlsMaterial,
} from '../pki/index.ts';
import { waitFor } from '../testkit/index.ts';
import { CaWatch } from './ca-watch.ts';

test('the CA watch renews, then takes the new root, then polls once more to report it', async (t) => {
  const now = new Date();
  const oldRoot = await RootCa.create({ now });
  const { newRoot } = await startRootRotation(oldRoot, { now });
  const { csrPem, keyPem } = await generateNodeKeyAndCsr();
  const issue = (ca: RootCa) =>
    ca.issueNodeCertificate({ csrPem, nodeId: 'n1', clusterId: 'c1', role: 'worker', now });
  let tls: TlsMaterial = { rootBundlePem: oldRoot.certPem, certPem: await issue(oldRoot), keyPem };
  let status: CaStatus = {
    trustRootPem: oldRoot.certPem,
    issuerCertPem: newRoot.certPem,
    rotationInProgress: true,
  };
  const actions: string[] = [];
  let polls = 0;
  let pollsAtTrust = -1;
  const watch = new CaWatch({
    tls: () => tls,
    fetch: async () => {
      polls++;
      return status;
    },
    act: async (action) => {
      actions.push(action.kind);
      if (action.kind === 'renew') tls = { ...tls, certPem: await issue(newRoot) };
      else {
        tls = { ...tls, rootBundlePem: action.rootBundlePem };
        pollsAtTrust = polls;
      }
    },
    log: () => {},
    busyMs: 10,
    idleMs: 60_000,
  });
  t.after(() => watch.stop());
  watch.start();
  await waitFor('a renewal', 5000, async () => (actions.includes('renew') ? true : undefined));
  status = {
    trustRootPem: newRoot.certPem,
    issuerCertPem: newRoot.certPem,
    rotationInProgress: false,
  };
  await waitFor('the new root', 5000, async () => (actions.includes('trust') ? true : undefined));
  assert.deepEqual(actions, ['renew', 'trust']);
  assert.equal(tls.rootBundlePem, newRoot.certPem);
  // The poll right after acting presents the new material, so the manager records it.
  await waitFor('a poll after taking the root', 5000, async () =>
    polls > pollsAtTrust ? true : undefined,
  );
  assert.deepEqual(actions, ['renew', 'trust'], 'nothing more to do once both are done');
});
