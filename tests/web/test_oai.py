"""OAI-PMH 2.0 over real HTTP (`kg serve` on a copy of the demo store), harvested with Sickle,
the OAI-PMH client library from PyPI: every verb, both metadata formats, sets, resumption
tokens to the end, selective harvesting by datestamp after a write, the deleted record, and
each error code as the protocol defines it."""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sickle import Sickle
from sickle.oaiexceptions import (
    BadArgument,
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
)
from SPARQLWrapper import POST, SPARQLWrapper

from tests.conftest import kg_serve
from web.auth import TokenFile

DATASET = "https://data.vusta.vn/id/dataset/ds-000007"
GRAPH = "<https://data.vusta.vn/graph/demo-catalog>"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


class Repository:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.url = f"{base}/oai"
        self.client = Sickle(self.url, max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def repository(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Repository]:
    folder = tmp_path_factory.mktemp("oai")
    shutil.copytree(demo_store_path, folder / "store")
    token = TokenFile(folder / "tokens.json").create("oai")
    with kg_serve(folder / "store", "--tokens", str(folder / "tokens.json")) as base:
        yield Repository(base, token)


def test_identify_and_formats(repository: Repository) -> None:
    identify = repository.client.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.baseURL == repository.url
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.deletedRecord == "transient"
    prefixes = {f.metadataPrefix for f in repository.client.ListMetadataFormats()}
    assert prefixes == {"oai_dc", "oai_datacite"}
    sets = {s.setSpec: s.setName for s in repository.client.ListSets()}
    assert sets["publisher:vusta"] == "Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam" or \
        any(spec.startswith("publisher:") for spec in sets)
    assert any(spec.startswith("theme:") for spec in sets)


def test_list_records_follows_resumption_tokens_to_the_end(repository: Repository) -> None:
    identifiers = [r.header.identifier for r in
                   repository.client.ListRecords(metadataPrefix="oai_dc")]
    assert len(identifiers) == len(set(identifiers)) == 300
    first = next(iter(repository.client.ListRecords(metadataPrefix="oai_dc")))
    assert first.metadata["title"]
    assert first.metadata["identifier"] == [first.header.identifier]
    assert "Dataset" in first.metadata["type"]
    headers = list(repository.client.ListIdentifiers(metadataPrefix="oai_datacite"))
    assert sorted(h.identifier for h in headers) == sorted(identifiers)


def test_datacite_and_sets(repository: Repository) -> None:
    record = repository.client.GetRecord(identifier=DATASET, metadataPrefix="oai_datacite")
    resource = record.xml.find(".//{http://datacite.org/schema/kernel-4}resource")
    assert resource is not None
    kernel = "{http://datacite.org/schema/kernel-4}"
    assert resource.find(f"{kernel}identifier").text == DATASET  # type: ignore[union-attr]
    assert resource.find(f"{kernel}resourceType").get("resourceTypeGeneral") == "Dataset"  # type: ignore[union-attr]
    assert resource.find(f"{kernel}titles/{kernel}title") is not None
    spec = record.header.setSpecs[0]
    members = [h.identifier for h in repository.client.ListIdentifiers(
        metadataPrefix="oai_dc", set=spec)]
    assert DATASET in members and len(members) < 300
    everything = [h for h in repository.client.ListIdentifiers(metadataPrefix="oai_dc")]
    assert len(members) == sum(spec in h.setSpecs for h in everything)


def test_selective_harvesting_sees_a_change_and_the_deletion(repository: Repository) -> None:
    before = [h.identifier for h in repository.client.ListIdentifiers(metadataPrefix="oai_dc")]
    time.sleep(1.1)  # datestamps are to the second
    now = datetime.now(UTC)
    mark = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    just_before = (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sparql = SPARQLWrapper(f"{repository.base}/sparql", f"{repository.base}/sparql")
    sparql.setMethod(POST)
    sparql.addCustomHttpHeader("Authorization", f"Bearer {repository.token}")
    sparql.setQuery(f"""
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        DELETE {{ GRAPH {GRAPH} {{ ?c dcat:dataset <{DATASET}> . <{DATASET}> ?p ?o .
                                   ?d ?dp ?do }} }}
        WHERE {{ GRAPH {GRAPH} {{ <{DATASET}> ?p ?o
                 OPTIONAL {{ ?c dcat:dataset <{DATASET}> }}
                 OPTIONAL {{ <{DATASET}> dcat:distribution ?d . ?d ?dp ?do }} }} }}""")
    sparql.query()
    changed = list(repository.client.ListIdentifiers(metadataPrefix="oai_dc", **{"from": mark}))
    assert [h.identifier for h in changed] == [DATASET]
    assert changed[0].deleted
    gone = repository.client.GetRecord(identifier=DATASET, metadataPrefix="oai_dc")
    assert gone.deleted and not hasattr(gone, "metadata")
    # Until a moment before the write: every other record, and not the one deleted since.
    earlier = [h.identifier for h in repository.client.ListIdentifiers(
        metadataPrefix="oai_dc", until=just_before)]
    assert sorted(earlier) == sorted(set(before) - {DATASET})
    with pytest.raises(NoRecordsMatch):
        list(repository.client.ListIdentifiers(metadataPrefix="oai_dc", until="2001-01-01"))


@pytest.mark.parametrize(("arguments", "error"), [
    ({"verb": "ListRecords"}, BadArgument),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, CannotDisseminateFormat),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "urn:none"},
     IdDoesNotExist),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, BadResumptionToken),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, BadArgument),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-01-01",
      "until": "2025-01-01T00:00:00Z"}, BadArgument),
    ({"verb": "Identify", "extra": "1"}, BadArgument),
])
def test_errors_are_the_protocols(repository: Repository, arguments: dict[str, str],
                                  error: type[Exception]) -> None:
    client = repository.client
    # Sickle's iterator reads the answer's <error code> and raises its exception class.
    with pytest.raises(error):
        client.iterator(client, dict(arguments)).next()


def test_an_unknown_verb_is_bad_verb(repository: Repository) -> None:
    # Sickle knows only the six verbs: the answer is read as it would read it.
    answer = repository.client.harvest(verb="Frobnicate")
    error = answer.xml.find(f"{OAI}error")
    assert error is not None and error.get("code") == "badVerb"


def test_post_and_xml_shape(repository: Repository) -> None:
    answer = requests.post(repository.url, data={"verb": "Identify"}, timeout=30)
    assert answer.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(answer.content)  # noqa: S314 - our own server's answer
    assert root.tag == f"{OAI}OAI-PMH"
    assert [child.tag for child in root][:2] == [f"{OAI}responseDate", f"{OAI}request"]
    assert root.find(f"{OAI}request").get("verb") == "Identify"  # type: ignore[union-attr]
