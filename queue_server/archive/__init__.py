"""The electronic property archive (电子档案): registered units, their rights holders
and encumbrances, looked up by the card holder at a kiosk or by staff, every lookup
audited and rate limited.
"""
