-- Every change a watcher cares about (a job's status, a host's state) goes on one capped stream, KEY.events, in the
-- same step as the change itself, so the log never shows a change that did not happen nor misses one that did. The
-- entry's id (Redis's clock in ms, then a sequence) is the event's stable id; GET /v1/events resumes after it. The
-- stream keeps about EVENTS_KEPT entries (trimmed in whole nodes, so cheaply): a watcher further behind is told so.
local EVENTS_KEPT = 50000

local function emit_job_event(events_key, job_key)
  local f = redis.call('HMGET', job_key, 'id', 'namespace', 'status', 'node', 'reason')
  redis.call('XADD', events_key, 'MAXLEN', '~', EVENTS_KEPT, '*', 'type', 'job', 'job', f[1], 'namespace',
    f[2] or 'default', 'status', f[3], 'node', f[4] or '', 'reason', f[5] or '')
end

local function emit_node_event(events_key, node_key)
  local f = redis.call('HMGET', node_key, 'id', 'status', 'schedulable', 'drain')
  redis.call('XADD', events_key, 'MAXLEN', '~', EVENTS_KEPT, '*', 'type', 'node', 'node', f[1], 'status', f[2],
    'schedulable', f[3] or 'true', 'drain', f[4] or 'none')
end
