"""SRU 1.2 (Search/Retrieve via URL) over the union catalogue: explain and searchRetrieve.

A CQL query (catalogue.cql) becomes the portal's own search tree (catalogue.query:
words, phrases, fielded words, ISBN/ISSN), so terms are folded exactly as the search
index is (Urdu and Arabic letter forms, diacritics, case) and ranked as the catalogue's
search ranks them. Only publication year, which the portal query has no syntax for, and
cql.allRecords are conditions of its own (cql_search.py); every value reaches SQL as a
parameter or, for text, as a folded tsquery lexeme.

SRU 2.0 parameters are accepted where they mean the same: a request with a query and no
operation is a searchRetrieve, queryType=cql, recordXMLEscaping=xml|string. Responses
are SRU 1.2 documents (http://www.loc.gov/zing/srw/).
"""
