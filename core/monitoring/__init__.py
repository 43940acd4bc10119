"""Campaign monitoring: flag underperforming campaign-days without crying wolf.

Every campaign-day is compared with what that campaign's own past predicts,
conditioned on what was actually spent that day:

* **expected counts**: leads and conversions per ``spend ** elasticity`` (the
  account's diminishing returns, estimated from its budget changes), clicks per
  impression. The rate is exponentially weighted over the days *before* the day
  checked and carried to today by the account's trend; it is multiplied by a weekday
  factor (per campaign, shrunk towards its platform and the account), a calendar
  factor for holidays, the days next to them and the year end (learned from the
  account's own past holidays) and a same-day *market factor* (the other campaigns'
  pooled observed/expected, leave-one-out), so weekends, seasons and holidays that
  move every campaign together do not alert;
* **tail probabilities** are negative-binomial, with each campaign's overdispersion
  estimated from its own residuals, plus the uncertainty of the rate itself (a young
  campaign is quiet until its rate is known); one day, three and five days, the run
  of low days, the run of zero days and a CUSUM (for slow leaks no single day shows)
  are each tested;
* **alerts** open only on strict tail probabilities (1e-4 per test at ``normal``: a
  Bonferroni bound over ~10^4 campaign-day tests, ten times stricter on one-day
  tests on holidays), a minimum effect size (the count at most half of what was
  expected) and a minimum volume, and stay open on looser evidence (hysteresis), so
  an incident never flip-flops. Evidence already used by one incident does not open
  another;
* **spend** is checked against the daily budget (overspend) and against the
  campaign's usual pacing and dollar level (under-delivery over consecutive days; a
  raised budget the campaign cannot spend is not one). Where a day's budget is unknown
  (NULL ``daily_budget``: imported platform history), delivery is judged against the
  campaign's own spend instead, never against a budget it does not know: a collapse
  below its recent level is under-delivery, a burst above its level both before and
  after (a raised budget stays up, an overspend comes back down) is overspend.

Days already flagged never feed the baselines, so an incident does not teach the
monitor that it is normal. Everything runs on (campaign x day) arrays: 40 campaigns
with 456 days of history are checked in about a second.

Example
-------
>>> from core.monitoring import Monitor
>>> mon = Monitor(sensitivity="normal").fit(frame)          # doctest: +SKIP
>>> mon.predict(since="2026-01-01")[["campaign_id", "kind", "message"]]  # doctest: +SKIP

Where things are
----------------
``vocabulary`` kinds, severities, sensitivity levels · ``stats`` pure maths ·
``baseline`` the grid and the sequential baseline passes · ``detect`` count evidence,
spend checks, root-cause arbitration · ``model`` the :class:`Monitor` estimator ·
``incidents`` alert days grouped · ``acks`` acknowledgements in the warehouse ·
``notify`` the webhook · ``evaluation`` injected incidents and scoring (benchmarks) ·
``actions`` the proposed action of an incident · ``revisions`` applied actions as plan
revisions and their bulk-upload CSV · ``freshness`` how old the data is · ``cli`` ``python -m core monitor``.
"""


from core.monitoring.acks import acknowledge, apply_acks, load_acks, unacknowledge
from core.monitoring.cli import monitor, replay, run_monitor
from core.monitoring.freshness import stale_note
from core.monitoring.evaluation import ACCEPTED_KINDS, INJECTABLE, evaluate, inject_incidents
from core.monitoring.incidents import incidents, resolve_since
from core.monitoring.model import Monitor
from core.monitoring.notify import notify_new, post_webhook, slack_payload
from core.monitoring.stats import (DAY_TYPES, day_types, market_factor, nb_cdf, nb_quantile_band, nb_zero,
                                   spend_elasticity, weekday_factors)
from core.monitoring.vocabulary import (ACKS_TABLE, ALERT_COLUMNS, CHANNELS, KINDS, NOTIFIED_TABLE, SENSITIVITY,
                                        SEVERITIES, Sensitivity)

__all__ = [
    "ACCEPTED_KINDS", "ACKS_TABLE", "ALERT_COLUMNS", "CHANNELS", "DAY_TYPES", "INJECTABLE", "KINDS", "NOTIFIED_TABLE",
    "SENSITIVITY", "SEVERITIES", "Monitor", "Sensitivity", "acknowledge", "apply_acks", "day_types", "evaluate",
    "incidents", "inject_incidents", "load_acks", "market_factor", "monitor", "nb_cdf", "nb_quantile_band",
    "nb_zero", "notify_new", "post_webhook", "replay", "resolve_since", "run_monitor", "slack_payload",
    "spend_elasticity", "stale_note", "unacknowledge", "weekday_factors",
]
