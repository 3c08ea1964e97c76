"""SuperOffice's side as a stock SOAP toolchain sees it: zeep builds a client from the
connector's WSDL and calls two operations. Prints what came back as JSON.

Usage: client.py URL CONNECTION_GUID
"""
import json
import sys

from zeep import Client


def main() -> None:
    url, guid = sys.argv[1], sys.argv[2]
    client = Client(url + "?wsdl")
    types = client.service.WSGetSupportedActorTypes(request={"ConnectionGuid": guid})
    polled = client.service.WSGetActorsByTimestamp(
        request={
            "ConnectionGuid": guid,
            "ActorType": "Customer",
            "FieldKeys": {"string": ["name", "credit_limit"]},
            "UpdatedOnOrAfter": "[DT:01/01/2000 00:00:00.0000000]",
        }
    )
    actors = []
    for actor in (polled.Actors.ErpActorWS if polled.Actors else []):
        values = {kv.Key: kv.Value for kv in (actor.FieldValues.KeyValueOfstringstring if actor.FieldValues else [])}
        actors.append({"ErpKey": actor.ErpKey, "LastModified": actor.LastModified, "values": values})
    print(json.dumps({
        "types_ok": types.IsOk,
        "types": list(types.Items.string) if types.Items else [],
        "poll_state": polled.State,
        "actors": actors,
    }))


if __name__ == "__main__":
    main()
