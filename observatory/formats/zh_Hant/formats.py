# Taiwan's official statistics group digits by three with a comma (12,345); Django's locale groups by four
# with no separator, so a count is written 12345.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
