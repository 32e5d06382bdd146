"""What an analyst reads: the campaign case files (HTML), their index, and the
scan's output tables.

Reports sit above detection and the gateway: a case file recommends the gateway
rule that would act on a campaign, so it reads the policy; nothing below reads a
report.
"""
