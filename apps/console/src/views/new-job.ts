import { ApiError } from '../api.js';
import { h, show } from '../dom.js';
import { pairs, words } from '../format.js';
import { View } from '../context.js';
import { Group, PlacementPreview, Problem } from '../types.js';
import { verdictTable } from './verdicts.js';

interface Field {
  id: string;
  label: string;
  /** The problem details' field names this control answers for (`resources.memoryMiB`, `constraints`). */
  fields: string[];
  control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
  hint?: string;
}

function input(id: string, attributes: Record<string, string | number | boolean> = {}): HTMLInputElement {
  return h('input', { id, name: id, ...attributes });
}

function textarea(id: string, placeholder: string): HTMLTextAreaElement {
  return h('textarea', { id, name: id, rows: 3, placeholder });
}

/**
 * The "New job" form: every field labelled, a live placement preview (POST /v1/jobs?dryRun=true) as the user types,
 * and Run with an Idempotency-Key, so a double click makes one job. The server's problem details are shown next to
 * the field they name.
 */
export const newJobView: View = (root, app) => {
  const image = input('job-image', { required: true, placeholder: 'berth/busybox:latest', autocomplete: 'off' });
  const command = input('job-command', { placeholder: "sh -c 'echo hello; sleep 600'" });
  const name = input('job-name', { placeholder: 'web' });
  const cpu = input('job-cpu', { type: 'number', min: 1, step: 1, placeholder: '250' });
  const memory = input('job-memory', { type: 'number', min: 6, step: 1, placeholder: '64' });
  const replicas = input('job-replicas', { type: 'number', min: 1, max: 100, step: 1, value: 1 });
  const allOrNothing = input('job-all-or-nothing', { type: 'checkbox' });
  const constraints = textarea('job-constraints', 'zone==a (one per line)');
  const environment = textarea('job-env', 'KEY=value (one per line)');
  const labels = textarea('job-labels', 'team=web (one per line)');
  const strategy = h(
    'select',
    { id: 'job-strategy', name: 'job-strategy' },
    h('option', { value: '' }, "The scheduler's default"),
    h('option', { value: 'spread' }, 'spread'),
    h('option', { value: 'binpack' }, 'binpack'),
    h('option', { value: 'random' }, 'random'),
  );
  const reschedule = input('job-reschedule', { type: 'checkbox' });

  const fields: Field[] = [
    { id: 'job-image', label: 'Image', fields: ['image'], control: image },
    { id: 'job-command', label: 'Command', fields: ['cmd'], control: command, hint: 'Words, quotes keep one together' },
    { id: 'job-name', label: 'Name', fields: ['name'], control: name },
    { id: 'job-cpu', label: 'CPU (millicores)', fields: ['resources.cpuMillis', 'resources'], control: cpu },
    { id: 'job-memory', label: 'Memory (MiB)', fields: ['resources.memoryMiB'], control: memory },
    { id: 'job-replicas', label: 'Replicas', fields: ['replicas'], control: replicas },
    {
      id: 'job-all-or-nothing',
      label: 'All or nothing (place every replica at once)',
      fields: ['allOrNothing'],
      control: allOrNothing,
    },
    { id: 'job-constraints', label: 'Constraints', fields: ['constraints'], control: constraints },
    { id: 'job-env', label: 'Environment', fields: ['env'], control: environment },
    { id: 'job-labels', label: 'Labels', fields: ['labels'], control: labels },
    { id: 'job-strategy', label: 'Strategy', fields: ['strategy'], control: strategy },
    { id: 'job-reschedule', label: 'Reschedule on node failure', fields: ['reschedule'], control: reschedule },
  ];
  const errors = new Map<string, HTMLElement>();
  const formError = h('p', { class: 'error', role: 'alert', id: 'form-error' });
  const preview = h('section', { class: 'preview', 'aria-live': 'polite', 'aria-labelledby': 'preview-title' });
  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const previewButton = h('button', { type: 'button', onclick: () => void runPreview() }, 'Preview');
  let idempotencyKey = crypto.randomUUID();
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  let previewAbort: AbortController | null = null;

  const clearErrors = () => {
    errors.forEach((element) => (element.textContent = ''));
    fields.forEach((field) => field.control.removeAttribute('aria-invalid'));
    formError.textContent = '';
  };

  /** Puts each problem next to the control for its field; what no control answers for goes above the buttons. */
  const showProblem = (problem: Problem) => {
    clearErrors();
    const unplaced: string[] = [];
    for (const error of problem.errors ?? [{ field: '', message: problem.detail }]) {
      // The field named exactly, else the one whose name it is under (`constraints.0` → constraints).
      const field =
        fields.find((f) => f.fields.includes(error.field)) ??
        fields.find((f) => f.fields.some((name) => error.field.startsWith(`${name}.`)));
      if (field) {
        const element = errors.get(field.id)!;
        element.textContent = element.textContent ? `${element.textContent}; ${error.message}` : error.message;
        field.control.setAttribute('aria-invalid', 'true');
      } else {
        unplaced.push(error.message);
      }
    }
    formError.textContent = unplaced.join('; ');
  };

  /** The request as POST /v1/jobs takes it; null (with the error shown) when a line cannot be read. */
  const body = (): Record<string, unknown> | null => {
    const env = pairs(environment.value);
    const labelMap = pairs(labels.value);
    for (const [map, id, what] of [
      [env, 'job-env', 'KEY=value'],
      [labelMap, 'job-labels', 'key=value'],
    ] as const) {
      if ('badLine' in map) {
        clearErrors();
        errors.get(id)!.textContent = `line ${String(map.badLine)} is not ${what}`;
        return null;
      }
    }
    const resources: Record<string, number> = {};
    if (cpu.value !== '') {
      resources.cpuMillis = Number(cpu.value);
    }
    if (memory.value !== '') {
      resources.memoryMiB = Number(memory.value);
    }
    const constraintList = constraints.value
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const count = replicas.value === '' ? 1 : Number(replicas.value);
    return {
      image: image.value.trim(),
      ...(command.value.trim() ? { cmd: words(command.value) } : {}),
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...(Object.keys(resources).length > 0 ? { resources } : {}),
      ...(constraintList.length > 0 ? { constraints: constraintList } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(Object.keys(labelMap).length > 0 ? { labels: labelMap } : {}),
      ...(strategy.value ? { strategy: strategy.value } : {}),
      ...(reschedule.checked ? { reschedule: 'on-node-failure' } : {}),
      ...(count !== 1 || allOrNothing.checked ? { replicas: count } : {}),
      ...(allOrNothing.checked ? { allOrNothing: true } : {}),
    };
  };

  const runPreview = async () => {
    const request = body();
    if (request === null || request.image === '') {
      show(preview);
      return;
    }
    previewAbort?.abort();
    const abort = (previewAbort = new AbortController());
    try {
      const response = await app.api.request('POST', '/v1/jobs?dryRun=true', request, {}, abort.signal);
      const answer = (await response.json()) as PlacementPreview;
      clearErrors();
      show(
        preview,
        h('h2', { id: 'preview-title' }, 'Preview'),
        h(
          'p',
          { class: answer.node ? 'ok' : 'warn', id: 'preview-verdict' },
          answer.node ? `Would run on ${answer.node}` : `Would wait: ${answer.explanation ?? 'no host fits'}`,
        ),
        h(
          'p',
          {},
          `${answer.copies} cop${answer.copies === 1 ? 'y' : 'ies'} would fit now, across ${answer.hosts} hosts.`,
        ),
        verdictTable(answer.verdicts),
      );
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        return;
      }
      show(preview);
      if (err instanceof ApiError) {
        showProblem(err.problem);
      } else {
        formError.textContent = (err as Error).message;
      }
    }
  };

  const changed = () => {
    idempotencyKey = crypto.randomUUID(); // another request: a new key
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => void runPreview(), 400);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const request = body();
    if (request === null) {
      return;
    }
    runButton.disabled = true;
    runButton.textContent = 'Submitting…';
    try {
      const made = await app.api.json<{ id: string } | Group>('POST', '/v1/jobs', request, {
        'idempotency-key': idempotencyKey,
      });
      if ('jobs' in made) {
        app.go(`#/jobs?q=${encodeURIComponent(made.name ?? '')}`);
      } else {
        app.go(`#/jobs/${made.id}`);
      }
    } catch (err) {
      if (err instanceof ApiError) {
        showProblem(err.problem);
      } else {
        formError.textContent = (err as Error).message;
      }
    } finally {
      runButton.disabled = false;
      runButton.textContent = 'Run';
    }
  };

  const rows = fields.map((field) => {
    const error = h('span', { class: 'field-error', id: `${field.id}-error`, role: 'status' });
    errors.set(field.id, error);
    field.control.setAttribute('aria-describedby', `${field.id}-error`);
    field.control.addEventListener('input', changed);
    field.control.addEventListener('change', changed);
    const checkbox = field.control instanceof HTMLInputElement && field.control.type === 'checkbox';
    return h(
      'div',
      { class: `field${checkbox ? ' checkbox' : ''}` },
      h('label', { for: field.id }, field.label),
      field.control,
      field.hint ? h('small', {}, field.hint) : null,
      error,
    );
  });
  show(
    root,
    h(
      'div',
      { class: 'new-job' },
      h(
        'form',
        { 'aria-labelledby': 'new-job-title', novalidate: true, onsubmit: (e: Event) => void submit(e) },
        h('h1', { id: 'new-job-title' }, 'New job'),
        ...rows,
        formError,
        h('div', { class: 'buttons' }, previewButton, runButton),
      ),
      preview,
    ),
  );
  image.focus();
  return () => {
    clearTimeout(previewTimer);
    previewAbort?.abort();
  };
};
