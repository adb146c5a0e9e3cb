"""The cluster's shared state in Redis, and the Lua scripts that change it.

Every change to who is online, who operates and who drives runs as one Lua
script, so it is atomic, and ends by publishing the robot id's whole state
with a version number on the id's event channel. Every relay process thus
sees changes in the order Redis made them and can ignore a stale snapshot.
Keys of robot id `rover` (the braces keep them together on a Redis Cluster
slot should one ever be used):

    rd:{rover}:robot    process id holding the robot's connection (expires)
    rd:{rover}:hello    the robot's latest hello (expires)
    rd:{rover}:holder   "<session id>\\t<name>" of the operator in control (expires)
    rd:{rover}:op:NAME  session id of operator NAME (expires): names are unique
    rd:{rover}:ops      sorted set of operator names in arrival order
    rd:{rover}:ev / :up / :down   channels: state, robot -> operators, operators -> robot

Expiring keys are refreshed by each process's heartbeat, so a process that
dies (SIGKILL, machine gone) lets go of its robot, operators and control
within the TTL. No Redis import here: this module is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Keys that do not expire with a heartbeat still vanish after an idle hour.
KEEP_MS = 3_600_000


def prefix(robot_id: str) -> str:
    """Key prefix of one robot id; robot ids never contain braces."""
    return f"rd:{{{robot_id}}}:"


def channel_of(channel: str) -> tuple[str, str]:
    """(robot id, kind) of a channel name made by `prefix(id) + kind`."""
    head, _, kind = channel.rpartition(":")
    return head[4:-1], kind


@dataclass(frozen=True)
class State:
    """One robot id's cluster-wide state as published after a change."""

    ver: int
    robot: str  # process id holding the robot, "" when offline
    holder: str  # "<sid>\t<name>" of the operator in control, "" when free
    ops: tuple[str, ...]

    @property
    def holder_name(self) -> str | None:
        return self.holder.partition("\t")[2] if self.holder else None

    @property
    def holder_sid(self) -> str:
        return self.holder.partition("\t")[0]


EMPTY = State(ver=-1, robot="", holder="", ops=())


def parse_state(payload: str) -> State:
    """A state as `snapshot()` in the scripts wrote it: lines ver, robot, holder, names..."""
    ver, robot, holder, *ops = payload.split("\n")
    return State(ver=int(ver), robot=robot, holder=holder, ops=tuple(n for n in ops if n))


# ARGV[1] is the key prefix, ARGV[2] the TTL in ms; script arguments start at ARGV[3].
_PRELUDE = f"""
local p = ARGV[1]
local ttl = tonumber(ARGV[2])
local function keep(...)
  for _, k in ipairs({{...}}) do redis.call('PEXPIRE', k, {KEEP_MS}) end
end
local function snapshot(ver)
  local out = {{tostring(ver), redis.call('GET', p..'robot') or '',
    redis.call('GET', p..'holder') or ''}}
  for _, n in ipairs(redis.call('ZRANGE', p..'ops', 0, -1)) do out[#out + 1] = n end
  return table.concat(out, '\\n')
end
local function publish()
  local ver = redis.call('INCR', p..'ver')
  keep(p..'ver')
  local s = snapshot(ver)
  redis.call('PUBLISH', p..'ev', s)
  return s
end
local function holder_of(sid_name) return redis.call('GET', p..'holder') == sid_name end
"""

#: ARGV[3] wanted name ('' for op-N), ARGV[4] session id -> {name, state, hello}.
JOIN = _PRELUDE + """
local function free(n) return redis.call('EXISTS', p..'op:'..n) == 0 end
local name = ARGV[3]
if name ~= '' then
  local i = 1
  while not free(name) do i = i + 1; name = ARGV[3]..'-'..i end
else
  repeat name = 'op-'..redis.call('INCR', p..'opn') until free(name)
end
redis.call('SET', p..'op:'..name, ARGV[4], 'PX', ttl)
redis.call('ZADD', p..'ops', redis.call('INCR', p..'seq'), name)
keep(p..'ops', p..'seq', p..'opn')
if not redis.call('GET', p..'holder') then
  redis.call('SET', p..'holder', ARGV[4]..'\\t'..name, 'PX', ttl)
end
return {name, publish(), redis.call('GET', p..'hello') or ''}
"""

#: ARGV[3] name, ARGV[4] session id -> state.
LEAVE = _PRELUDE + """
local mine = redis.call('GET', p..'op:'..ARGV[3])
if mine == ARGV[4] then
  redis.call('DEL', p..'op:'..ARGV[3])
  redis.call('ZREM', p..'ops', ARGV[3])
end
if holder_of(ARGV[4]..'\\t'..ARGV[3]) then redis.call('DEL', p..'holder') end
return publish()
"""

#: ARGV[3] "<sid>\\t<name>" -> {1, state} when granted, {0, holder} when someone holds it.
TAKE = _PRELUDE + """
local h = redis.call('GET', p..'holder')
if h == ARGV[3] then return {1, snapshot(redis.call('GET', p..'ver') or 0)} end
if h then return {0, h} end
redis.call('SET', p..'holder', ARGV[3], 'PX', ttl)
return {1, publish()}
"""

#: ARGV[3] "<sid>\\t<name>" -> {1, state} when released, {0, holder} when not the holder.
RELEASE = _PRELUDE + """
if not holder_of(ARGV[3]) then return {0, redis.call('GET', p..'holder') or ''} end
redis.call('DEL', p..'holder')
return {1, publish()}
"""

#: ARGV[3] "<sid>\\t<name>" of the giver, ARGV[4] name of the receiver
#: -> {1, state}; {0, holder} when not the holder; {2, ''} when nobody has that name.
GIVE = _PRELUDE + """
if not holder_of(ARGV[3]) then return {0, redis.call('GET', p..'holder') or ''} end
local sid = redis.call('GET', p..'op:'..ARGV[4])
if not sid then return {2, ''} end
redis.call('SET', p..'holder', sid..'\\t'..ARGV[4], 'PX', ttl)
return {1, publish()}
"""

#: ARGV[3] process id -> state. The robot connected here; a robot of the same
#: id elsewhere sees the key change hands and closes its connection ("replaced").
ATTACH = _PRELUDE + """
redis.call('SET', p..'robot', ARGV[3], 'PX', ttl)
redis.call('DEL', p..'hello')
return publish()
"""

#: ARGV[3] process id -> state. The robot left here (unless it already moved on).
DETACH = _PRELUDE + """
if redis.call('GET', p..'robot') == ARGV[3] then redis.call('DEL', p..'robot', p..'hello') end
return publish()
"""

#: The heartbeat, and the re-registration after Redis was away. ARGV[3] process
#: id, ARGV[4] '1' if the robot is connected here, ARGV[5] its hello or '',
#: ARGV[6] '1' to recover, ARGV[7] "<sid>\\t<name>" this process believes holds
#: control or '', then pairs of (name, sid) of the operators connected here.
#: Refreshes what is ours, re-creates what expired, forgets operators whose key
#: expired (a dead process), and publishes the state.
SYNC = _PRELUDE + """
local me, recover, holding = ARGV[3], ARGV[6] == '1', ARGV[7]
if ARGV[4] == '1' then
  local r = redis.call('GET', p..'robot')
  if r == me then
    redis.call('PEXPIRE', p..'robot', ttl)
    redis.call('PEXPIRE', p..'hello', ttl)
  elseif not r then
    redis.call('SET', p..'robot', me, 'PX', ttl)
    if ARGV[5] ~= '' then redis.call('SET', p..'hello', ARGV[5], 'PX', ttl) end
  end
end
local h = redis.call('GET', p..'holder')
local mine = {}
for i = 8, #ARGV, 2 do
  local name, sid = ARGV[i], ARGV[i + 1]
  local key = p..'op:'..name
  local v = redis.call('GET', key)
  if v == sid then
    redis.call('PEXPIRE', key, ttl)
  elseif not v then
    redis.call('SET', key, sid, 'PX', ttl)
    redis.call('ZADD', p..'ops', 'NX', redis.call('INCR', p..'seq'), name)
  end
  mine[sid..'\\t'..name] = true
end
if h and mine[h] then
  if recover and h ~= holding then
    redis.call('DEL', p..'holder')
  else
    redis.call('PEXPIRE', p..'holder', ttl)
  end
elseif not h and recover and holding ~= '' then
  redis.call('SET', p..'holder', holding, 'PX', ttl)
end
for _, n in ipairs(redis.call('ZRANGE', p..'ops', 0, -1)) do
  if redis.call('EXISTS', p..'op:'..n) == 0 then redis.call('ZREM', p..'ops', n) end
end
keep(p..'ops', p..'seq', p..'opn')
return publish()
"""

ALL = {
    "join": JOIN, "leave": LEAVE, "take": TAKE, "release": RELEASE, "give": GIVE,
    "attach": ATTACH, "detach": DETACH, "sync": SYNC,
}
