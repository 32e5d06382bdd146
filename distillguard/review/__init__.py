"""Human review of flagged accounts and campaigns, and the appeals of their users.

:mod:`.actions` is the review action (allow, unblock, verify, block, with a reviewer
and a note); :mod:`.feedback` the feedback table every action lands in, which
``distillguard calibrate`` reads; :mod:`.flagged` what a scan flagged, with its
reasons.  How an action reaches the gateway is the gateway's (``gateway/review.py``).
"""
