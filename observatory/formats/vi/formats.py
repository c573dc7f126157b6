# Vietnamese groups thousands with a dot (12.345), as Vietnam's official statistics write them; Django's
# locale gives the separator but no grouping.
NUMBER_GROUPING = 3
