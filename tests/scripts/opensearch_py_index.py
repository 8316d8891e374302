"""Indexes documents with opensearch-py's helpers.bulk, as a Python user of the reference client would.

usage: opensearch_py_index.py URL INDEX < lines of {"id": ..., "doc": ...}
"""
import json
import sys

from opensearchpy import OpenSearch, helpers


def main():
    url, index = sys.argv[1], sys.argv[2]
    client = OpenSearch(hosts=[url])
    actions = []
    for line in sys.stdin:
        if line.strip():
            item = json.loads(line)
            actions.append({"_index": index, "_id": item["id"], "_source": item["doc"]})
    indexed, errors = helpers.bulk(client, actions, refresh=True)
    if errors:
        sys.exit(f"bulk errors: {errors}")
    print(indexed)


if __name__ == "__main__":
    main()
