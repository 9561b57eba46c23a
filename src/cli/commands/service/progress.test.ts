// The progress display of create/update/scale/rollback: sequences of polls (service, tasks,
// active nodes, time) in, docker's lines out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task, TaskState } from '../../../store/index.ts';
import { type ProgressMessage, ProgressTracker, truncateError } from './progress.ts';
import { ProgressDisplay, progressBar } from './progress-display.ts';
import { captureIo, FakeDaemon } from './test-support.ts';
import { waitOnService } from './wait.ts';

function service(mode: Service['Spec']['Mode'], extra: Partial<Service> = {}): Service {
  return {
    ID: 'svc1234567890abcdef',
    Version: { Index: 5 },
    CreatedAt: '2024-05-01T12:00:00Z',
    UpdatedAt: '2024-05-01T12:00:00Z',
    Spec: { Name: 'web', Labels: {}, TaskTemplate: {}, Mode: mode },
    ...extra,
  };
}

function task(slot: number, state: TaskState, extra: Partial<Task> = {}, err?: string): Task {
  return {
    ID: `task-${slot}-${state}`,
    Version: { Index: 1 },
    CreatedAt: '2024-05-01T12:00:00Z',
    UpdatedAt: '2024-05-01T12:00:00Z',
    Labels: {},
    Spec: {},
    ServiceID: 'svc1234567890abcdef',
    Slot: slot,
    NodeID: 'node1',
    Status: {
      Timestamp: '2024-05-01T12:00:00Z',
      State: state,
      Message: '',
      ...(err ? { Err: err } : {}),
    },
    DesiredState: 'running',
    ...extra,
  };
}

const NODES = new Set(['node1', 'node2']);

/** Drives one poll; answers the non-terminal output lines and the outcome. */
function poll(
  tracker: ProgressTracker,
  display: ProgressDisplay,
  current: Service,
  tasks: Task[],
  nowMs: number,
  nodes: ReadonlySet<string> = NODES,
): { output: string; outcome: string } {
  const first = tracker.observeService(current, nowMs);
  let output = display.renderAll(first.messages);
  if (first.outcome.kind !== 'continue') {
    return {
      output,
      outcome: first.outcome.kind === 'error' ? `error: ${first.outcome.message}` : 'done',
    };
  }
  const second = tracker.observeTasks(current, tasks, nodes, nowMs);
  output += display.renderAll(second.messages);
  return {
    output,
    outcome:
      second.outcome.kind === 'continue'
        ? 'continue'
        : second.outcome.kind === 'error'
          ? `error: ${second.outcome.message}`
          : 'done',
  };
}

describe('progress: replicated service, output not on a terminal', () => {
  it('create 3 replicas: overall progress, then verify for the monitor period', () => {
    const tracker = new ProgressTracker('svc1234567890abcdef');
    const display = new ProgressDisplay(false);
    const current = service({ Replicated: { Replicas: 3 } });
    const steps = [
      poll(tracker, display, current, [], 0),
      poll(
        tracker,
        display,
        current,
        [task(1, 'preparing'), task(2, 'new'), task(3, 'running')],
        200,
      ),
      poll(
        tracker,
        display,
        current,
        [task(1, 'running'), task(2, 'running'), task(3, 'running')],
        400,
      ),
      poll(
        tracker,
        display,
        current,
        [task(1, 'running'), task(2, 'running'), task(3, 'running')],
        2_600,
      ),
      poll(
        tracker,
        display,
        current,
        [task(1, 'running'), task(2, 'running'), task(3, 'running')],
        5_400,
      ),
    ];
    assert.deepEqual(
      steps.map((step) => step.output),
      [
        // The first poll draws every slot; the bars themselves are only drawn on terminals.
        'overall progress: 0 out of 3 tasks\n1/3:  \n2/3:  \n3/3:  \noverall progress: 0 out of 3 tasks\n',
        'overall progress: 1 out of 3 tasks\n',
        'overall progress: 3 out of 3 tasks\nverify: Waiting 5 seconds to verify that tasks are stable...\n',
        'verify: Waiting 3 seconds to verify that tasks are stable...\n',
        'verify: Service converged\n',
      ],
    );
    assert.deepEqual(
      steps.map((step) => step.outcome),
      ['continue', 'continue', 'continue', 'continue', 'done'],
    );
  });

  it('a task failing after convergence restarts the verification', () => {
    const tracker = new ProgressTracker('svc');
    const display = new ProgressDisplay(false);
    const current = service({ Replicated: { Replicas: 1 } });
    poll(tracker, display, current, [task(1, 'running')], 0);
    const failed = poll(tracker, display, current, [task(1, 'failed', {}, 'exit 1')], 1_000);
    assert.equal(
      failed.output,
      '1/1: exit 1\noverall progress: 0 out of 1 tasks\nverify: Detected task failure\n',
    );
  });

  it('task errors show (truncated to 75 characters) even off a terminal', () => {
    const tracker = new ProgressTracker('svc');
    const display = new ProgressDisplay(false);
    const long = `No such image: ${'x'.repeat(100)}\nsecond line`;
    const { output } = poll(
      tracker,
      display,
      service({ Replicated: { Replicas: 1 } }),
      [task(1, 'rejected', {}, long)],
      0,
    );
    assert.match(
      output,
      /^overall progress: 0 out of 1 tasks\n1\/1: {2}\n1\/1: No such image: x{59}…\n/,
    );
    assert.equal([...truncateError(long)].length, 75);
  });

  it('a monitor period from the service UpdateConfig', () => {
    const tracker = new ProgressTracker('svc');
    const display = new ProgressDisplay(false);
    const current = service({ Replicated: { Replicas: 1 } });
    current.Spec.UpdateConfig = { Monitor: 1e9 };
    assert.match(
      poll(tracker, display, current, [task(1, 'running')], 0).output,
      /Waiting 1 seconds/,
    );
    assert.equal(
      poll(tracker, display, current, [task(1, 'running')], 1_000).output,
      'verify: Service converged\n',
    );
  });
});

describe('progress: updates and rollbacks', () => {
  it("an update that pauses ends with docker's error", () => {
    const tracker = new ProgressTracker('web');
    const display = new ProgressDisplay(false);
    const paused = service(
      { Replicated: { Replicas: 1 } },
      {
        UpdateStatus: {
          State: 'paused',
          Message: 'update paused due to failure or early termination of task x',
        },
      },
    );
    assert.equal(
      poll(tracker, display, paused, [], 0).outcome,
      'error: service update paused: update paused due to failure or early termination of task x',
    );
  });

  it('an automatic rollback: the rollback message, then "rolling back update"', () => {
    const tracker = new ProgressTracker('web');
    const display = new ProgressDisplay(false);
    const updating = service(
      { Replicated: { Replicas: 2 } },
      { UpdateStatus: { State: 'updating' } },
    );
    poll(tracker, display, updating, [task(1, 'running'), task(2, 'starting')], 0);
    const rolling = service(
      { Replicated: { Replicas: 2 } },
      {
        UpdateStatus: {
          State: 'rollback_started',
          Message: 'update rolled back due to failure or early termination of task y',
        },
      },
    );
    const step = poll(tracker, display, rolling, [task(1, 'running'), task(2, 'running')], 200);
    assert.equal(
      step.output,
      'rollback: update rolled back due to failure or early termination of task y\n' +
        'overall progress: rolling back update: 2 out of 2 tasks\n' +
        'verify: Waiting 5 seconds to verify that tasks are stable...\n',
    );
    const completed = service(
      { Replicated: { Replicas: 2 } },
      {
        UpdateStatus: { State: 'rollback_completed' as never, Message: 'rollback completed' },
      },
    );
    assert.equal(
      poll(tracker, display, completed, [task(1, 'running'), task(2, 'running')], 2_000).outcome,
      'continue',
    );
    const last = poll(tracker, display, completed, [task(1, 'running'), task(2, 'running')], 5_200);
    assert.equal(last.output, 'verify: Service converged\n');
    assert.equal(last.outcome, 'done');
  });

  it('a rollback that completes before convergence is reported after verification', () => {
    const tracker = new ProgressTracker('web');
    const display = new ProgressDisplay(false);
    const completed = service(
      { Replicated: { Replicas: 1 } },
      {
        UpdateStatus: { State: 'rollback_completed' as never, Message: 'rollback completed' },
      },
    );
    poll(tracker, display, completed, [task(1, 'running')], 0);
    assert.equal(
      poll(tracker, display, completed, [task(1, 'running')], 5_000).output,
      'verify: Service converged\nrollback: rollback completed\n',
    );
  });

  it('an update already completed when first seen ends quietly', () => {
    const tracker = new ProgressTracker('web');
    const display = new ProgressDisplay(false);
    const done = service({ Replicated: { Replicas: 1 } }, { UpdateStatus: { State: 'completed' } });
    assert.deepEqual(poll(tracker, display, done, [], 0), { output: '', outcome: 'done' });
  });

  it('the newest task of a slot is the one shown (lowest desired state, then lowest state)', () => {
    const tracker = new ProgressTracker('web');
    const display = new ProgressDisplay(false);
    const tasks = [
      task(1, 'running', { DesiredState: 'shutdown' }),
      task(1, 'starting'),
      task(1, 'new', { NodeID: 'gone' }), // on a node that is down: ignored
    ];
    const { output } = poll(tracker, display, service({ Replicated: { Replicas: 1 } }), tasks, 0);
    assert.equal(
      output,
      'overall progress: 0 out of 1 tasks\n1/1:  \noverall progress: 0 out of 1 tasks\n',
    );
  });
});

describe('progress: global services and jobs', () => {
  it('global: waits for tasks, then one line per node', () => {
    const tracker = new ProgressTracker('g');
    const display = new ProgressDisplay(false);
    const current = service({ Global: {} });
    assert.equal(
      poll(tracker, display, current, [], 0).output,
      'overall progress: waiting for new tasks\n',
    );
    const tasks = [
      task(0, 'running', { NodeID: 'node1' }),
      task(0, 'starting', { NodeID: 'node2' }),
    ];
    assert.equal(
      poll(tracker, display, current, tasks, 200).output,
      'overall progress: 0 out of 2 tasks\noverall progress: 1 out of 2 tasks\n',
    );
  });

  it('replicated job: job progress and active tasks, then "job complete"', () => {
    const tracker = new ProgressTracker('j');
    const display = new ProgressDisplay(false);
    const current = service(
      { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } },
      {
        JobStatus: { JobIteration: { Index: 7 } },
      },
    );
    const jobTask = (slot: number, state: TaskState) =>
      task(slot, state, { JobIteration: { Index: 7 }, DesiredState: 'complete' });
    const first = poll(
      tracker,
      display,
      current,
      [jobTask(0, 'running'), jobTask(1, 'complete')],
      0,
    );
    // Job progress and task lines carry bars, so off a terminal only the rest shows.
    assert.equal(
      first.output,
      'active tasks: 0 out of 2 tasks\n1/3:  \n2/3:  \n3/3:  \nactive tasks: 1 out of 2 tasks\n',
    );
    const terminal = new ProgressDisplay(true, 200);
    assert.match(
      terminal.renderAll([
        {
          id: 'job progress',
          action: '1 out of 3 complete',
          current: 1,
          total: 3,
          hideCounts: true,
        },
      ]),
      /job progress: 1 out of 3 complete \[================>/,
    );
    const last = poll(
      tracker,
      display,
      current,
      [jobTask(0, 'complete'), jobTask(1, 'complete'), jobTask(2, 'complete')],
      200,
    );
    assert.equal(last.output, 'active tasks: 0 out of 0 tasks\njob complete\n');
    assert.equal(last.outcome, 'done');
  });

  it('global job: waits, then counts completed nodes', () => {
    const tracker = new ProgressTracker('gj');
    const display = new ProgressDisplay(false);
    const current = service({ GlobalJob: {} }, { JobStatus: { JobIteration: { Index: 1 } } });
    assert.equal(
      poll(tracker, display, current, [], 0).output,
      'job progress: waiting for tasks\n',
    );
    const jobTask = (node: string, state: TaskState) =>
      task(0, state, { NodeID: node, JobIteration: { Index: 1 } });
    assert.equal(
      poll(
        tracker,
        display,
        current,
        [jobTask('node1', 'complete'), jobTask('node2', 'complete')],
        200,
      ).outcome,
      'done',
    );
  });
});

describe('progress: terminal drawing', () => {
  it('each ID keeps its line: cursor up, erase, redraw, cursor down', () => {
    const display = new ProgressDisplay(true, 120);
    const messages: ProgressMessage[] = [
      { id: 'overall progress', action: '0 out of 1 tasks' },
      { id: '1/1', action: ' ' },
      { id: 'overall progress', action: '0 out of 1 tasks' },
      { id: '1/1', action: 'running  ', current: 9, total: 9, hideCounts: true },
      { id: 'overall progress', action: '1 out of 1 tasks' },
      { id: 'verify', action: 'Service converged' },
    ];
    assert.equal(
      display.renderAll(messages),
      '\n\x1b[1A\x1b[2K\roverall progress: 0 out of 1 tasks \r\x1b[1B' +
        '\n\x1b[1A\x1b[2K\r1/1:   \r\x1b[1B' +
        '\x1b[2A\x1b[2K\roverall progress: 0 out of 1 tasks \r\x1b[2B' +
        `\x1b[1A\x1b[2K\r1/1: running   [${'='.repeat(50)}>] \r\x1b[1B` +
        '\x1b[2A\x1b[2K\roverall progress: 1 out of 1 tasks \r\x1b[2B' +
        '\n\x1b[1A\x1b[2K\rverify: Service converged \r\x1b[1B',
    );
  });

  it('status messages end the block and print plainly', () => {
    const display = new ProgressDisplay(true);
    assert.equal(
      display.render({ id: '', message: 'Operation continuing in background.' }),
      'Operation continuing in background.\n',
    );
  });

  it('bars: 50 steps, none on terminals of 110 columns or fewer', () => {
    assert.equal(progressBar({ id: 'x', current: 1, total: 9 }, 200), `[=====>${' '.repeat(45)}] `);
    assert.equal(progressBar({ id: 'x', current: 9, total: 9 }, 111), `[${'='.repeat(50)}>] `);
    assert.equal(progressBar({ id: 'x', current: 9, total: 9 }, 110), '');
    assert.equal(progressBar({ id: 'x', action: 'a' }, 200), '');
  });
});

describe('waiting on a service (the polling loop)', () => {
  it('polls service, up-to-date tasks and nodes until converged', async () => {
    let polls = 0;
    const running = [task(1, 'running')];
    const daemon = new FakeDaemon({
      'GET /services/web': () => service({ Replicated: { Replicas: 1 } }),
      'GET /tasks': () => (polls++ === 0 ? [task(1, 'new')] : running),
      'GET /nodes': [{ ID: 'node1', Status: { State: 'ready' } }],
    });
    let clock = 0;
    const io = captureIo();
    await waitOnService(daemon, 'web', {
      quiet: false,
      write: io.out,
      terminal: false,
      now: () => (clock += 1_000),
      pollIntervalMs: 0,
      interrupted: new Promise(() => {}),
    });
    assert.deepEqual(daemon.lines().slice(0, 3), [
      'GET /services/web?insertDefaults=false',
      'GET /tasks?filters={"service":{"svc1234567890abcdef":true},"_up-to-date":{"true":true}}',
      'GET /nodes',
    ]);
    assert.match(io.stdout, /overall progress: 1 out of 1 tasks\nverify: Waiting 5 seconds/);
    assert.match(io.stdout, /verify: Service converged\n$/);
  });

  it("Ctrl-C stops the display only, with docker's two lines", async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': service({ Replicated: { Replicas: 1 } }),
      'GET /tasks': [task(1, 'pending')],
      'GET /nodes': [{ ID: 'node1', Status: { State: 'ready' } }],
    });
    const io = captureIo();
    await waitOnService(daemon, 'web', {
      quiet: false,
      write: io.out,
      terminal: false,
      now: () => 0,
      pollIntervalMs: 60_000,
      interrupted: Promise.resolve(),
    });
    assert.match(
      io.stdout,
      /Operation continuing in background.\nUse `shoal service ps web` to check progress.\n$/,
    );
    assert.equal(daemon.requests.filter((request) => request.method !== 'GET').length, 0);
  });

  it('-q waits without drawing', async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': service(
        { Replicated: { Replicas: 1 } },
        { UpdateStatus: { State: 'paused', Message: 'stuck' } },
      ),
    });
    const io = captureIo();
    await assert.rejects(
      waitOnService(daemon, 'web', {
        quiet: true,
        write: io.out,
        terminal: false,
        interrupted: new Promise(() => {}),
      }),
      { message: 'service update paused: stuck' },
    );
    assert.equal(io.stdout, '');
  });
});
