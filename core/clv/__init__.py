"""Customer lifetime value: who is still a customer, how often they will buy, what they are worth.

BG/NBD (purchases and drop-out) and Gamma-Gamma (spend per order), written as
numerically stable log-likelihoods over scipy (``lifetimes`` is unmaintained and no
longer imports on our stack; PyMC-Marketing is far too heavy for the product), fitted
by maximum likelihood on the contract ``customers`` table as of a day. How the table
counts orders and money is told from the table itself (:class:`TableReading`: orders as
purchases or repeat purchases, total_spent over all orders or repeat orders only).

On CDNOW's 2,357-customer sample (``bench/clv.py``) BG/NBD reproduces the published
parameters from any table that counts purchase days, and Gamma-Gamma does whenever the
table or an order log carries the repeat orders' values. A table whose total_spent includes
each first order cannot: the spend model then averages all orders (p 7.86, q 3.97,
gamma 13.33 against 6.25, 3.74, 15.44; the same population mean within 0.3%). A table
counting order lines rather than days over-counts purchases (alpha 3.54 against 4.41).

Files: ``bgnbd.py`` and ``gamma_gamma.py`` (the maths and the two estimators),
``data.py`` (customers table / transaction log -> summaries), ``model.py``
(:class:`CLVModel`, saved through core.registry), ``holdout.py`` (calibrate, predict the
rest, compare), ``report.py`` (per segment, at risk, audiences, ``python -m core clv``).
"""

from core.clv.bgnbd import BetaGeoModel
from core.clv.data import (TableReading, customers_from_transactions, read_customers, read_transactions, repeat_spend,
                           summarise_customers)
from core.clv.gamma_gamma import GammaGammaModel
from core.clv.holdout import HoldoutCheck, holdout_check
from core.clv.model import CLVModel
from core.clv.report import (at_risk, audience_with_value, clv_payload, customer_values, rank_audiences,
                             run_clv, segment_value, valuable_audiences, value_view)

__all__ = ["BetaGeoModel", "CLVModel", "GammaGammaModel", "HoldoutCheck", "TableReading", "at_risk", "audience_with_value",
           "clv_payload", "customer_values", "customers_from_transactions", "holdout_check", "rank_audiences",
           "read_customers", "read_transactions", "repeat_spend", "run_clv", "segment_value", "summarise_customers",
           "valuable_audiences", "value_view"]
