import { ApiError } from '../api.js';
import { h, show } from '../dom.js';
import { megabytes } from '../format.js';
import { View } from '../context.js';
import { Job, JobEvent } from '../types.js';
import { statusBadge } from './jobs.js';
import { verdictTable } from './verdicts.js';

const HAS_OUTPUT = ['running', 'exited', 'failed', 'removing'];

/**
 * One job: what it is and where it runs, its timeline, why it waits (host by host), its pull's progress, its logs
 * followed live, and Remove.
 */
export const jobView: View = (root, app, _params, path) => {
  const id = path[1] ?? '';
  const details = h('div', { class: 'job-details' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Timeline' });
  const logs = h('pre', { class: 'logs', id: 'job-logs', tabindex: 0, 'aria-label': 'Logs' });
  const logState = h('p', { class: 'summary', 'aria-live': 'polite' });
  const message = h('p', { class: 'error', role: 'alert' });
  let job: Job | null = null;
  let logAbort: AbortController | null = null;
  let following = false;
  let pullTimer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  const remove = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: () =>
        void app.api
          .json<Job>('DELETE', `/v1/jobs/${id}`)
          .then((after) => ((job = after), draw()))
          .catch((err: Error) => (message.textContent = err.message)),
    },
    'Remove',
  );

  const draw = () => {
    if (!job) {
      return;
    }
    const rows: Array<[string, string | HTMLElement | null]> = [
      ['Status', statusBadge(job.status)],
      ['Reason', job.reason],
      ['Image', job.image],
      ['Command', job.cmd ? job.cmd.join(' ') : null],
      ['Host', job.node],
      ['Container', job.containerId],
      ['Exit code', job.exitCode === null ? null : String(job.exitCode)],
      ['Resources', `${job.resources.cpuMillis} millicores, ${job.resources.memoryMiB} MiB`],
      ['Namespace', job.namespace],
      ['Group', job.group],
    ];
    const pull =
      job.status === 'pulling' && job.progress
        ? h(
            'div',
            { class: 'pull' },
            h(
              'label',
              { for: 'pull-progress' },
              `Pulling ${job.image}: ${megabytes(job.progress.bytesDone)} of ${megabytes(job.progress.bytesTotal)}, ${job.progress.layersDone}/${job.progress.layers} layers`,
            ),
            h('progress', {
              id: 'pull-progress',
              max: Math.max(1, job.progress.bytesTotal),
              value: job.progress.bytesDone,
            }),
          )
        : null;
    show(
      details,
      h(
        'div',
        { class: 'title-row' },
        h('h1', {}, job.name ?? job.id),
        job.status !== 'removed' && job.status !== 'removing' && app.can('submit') ? remove : null,
      ),
      h('p', { class: 'summary' }, job.id),
      h(
        'dl',
        {},
        ...rows.filter(([, v]) => v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      pull,
      job.verdicts && job.verdicts.length > 0
        ? h('section', { 'aria-label': 'Why it waits' }, h('h2', {}, 'Why it waits'), verdictTable(job.verdicts))
        : null,
    );
    if (job.status === 'pulling' && pullTimer === undefined) {
      pullTimer = setInterval(() => void load(), 1000);
    } else if (job.status !== 'pulling' && pullTimer !== undefined) {
      clearInterval(pullTimer);
      pullTimer = undefined;
    }
    if (!following && job.containerId && HAS_OUTPUT.includes(job.status)) {
      void followLogs();
    } else if (!following) {
      logs.textContent = '';
      logState.textContent = 'No output yet: the job has no container.';
    }
  };

  const drawTimeline = async () => {
    const answer = await app.api.json<{ items: JobEvent[]; complete: boolean }>('GET', `/v1/jobs/${id}/events`);
    if (!job) {
      return;
    }
    const start = Date.parse(job.createdAt);
    const entries =
      answer.complete && answer.items.length > 0
        ? answer.items.map((e) => ({ at: e.at, text: `${e.status}${e.node ? ` on ${e.node}` : ''}`, reason: e.reason }))
        : job.history.map((e) => ({ at: e.at, text: e.status, reason: null as string | null }));
    show(
      timeline,
      entries.map((e) =>
        h(
          'li',
          {},
          h('time', { datetime: e.at }, `+${((Date.parse(e.at) - start) / 1000).toFixed(1)}s`),
          ' ',
          h('strong', {}, e.text),
          e.reason ? h('span', { class: 'reason' }, ` ${e.reason}`) : null,
        ),
      ),
    );
  };

  const followLogs = async () => {
    following = true;
    logAbort = new AbortController();
    const live = job?.status === 'running';
    logState.textContent = live ? 'following…' : '';
    try {
      const response = await app.api.request(
        'GET',
        `/v1/jobs/${id}/logs?tail=500${live ? '&follow=true' : ''}`,
        undefined,
        {},
        logAbort.signal,
      );
      logs.textContent = '';
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        logs.append(value);
        logs.scrollTop = logs.scrollHeight;
      }
      logState.textContent = live ? 'the container stopped' : '';
    } catch (err) {
      if ((err as Error).name !== 'AbortError') {
        logState.textContent = err instanceof ApiError ? err.message : `logs: ${(err as Error).message}`;
        following = false; // tried again at the next change
      }
    }
  };

  const load = async () => {
    try {
      job = await app.jobs.refresh(id);
      draw();
      await drawTimeline();
    } catch (err) {
      message.textContent = err instanceof ApiError && err.status === 404 ? `No job ${id}.` : (err as Error).message;
    }
  };

  show(
    root,
    h(
      'section',
      { class: 'job' },
      h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')),
      message,
      details,
      h('h2', {}, 'Timeline'),
      timeline,
      h('h2', {}, 'Logs'),
      logState,
      logs,
    ),
  );
  void load();
  const unsubscribe = app.feed.onJob((event) => {
    if (event.job === id && !stopped) {
      void load();
    }
  });
  return () => {
    stopped = true;
    unsubscribe();
    logAbort?.abort();
    clearInterval(pullTimer);
  };
};
