"""Every file, secret and setting a config in the tree reads from outside it, and the command that provides each.

A config that passes its tool can still fail at runtime on a file nobody wrote (Alertmanager starts, then every
notification fails). So each reference the configs make is found here, by reading them: `*_file` keys in
alertmanager.yml, Secrets and ConfigMaps the Kubernetes manifests mount or read, EnvironmentFile= in systemd
units, file_sd files in prometheus.yml, `${env:...}` in Collector configs. A reference is either satisfied inside
the tree (the file is there, the ConfigMap is defined, the variable is set) or becomes a `to_provide` entry with
the exact command that creates it (values are placeholders: no answer ever holds a secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

import yaml

from planners.renderers.yaml_text import from_yaml_documents

from planners.knowledge.receivers import KUBERNETES_SECRET_NAME, SECRETS_DIR

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_FILE = re.compile(r"^EnvironmentFile=-?(\S+)", re.M)
ALERTMANAGER_GROUP = "prometheus"  # the group Debian's prometheus-alertmanager runs as
ALERTMANAGER_NAMESPACE = "monitoring"  # where kube-prometheus-stack runs its Alertmanager (planners/knowledge/operators)
_SETTING = re.compile(r"^Environment=\"?([A-Za-z_][A-Za-z0-9_]*)=", re.M)


@dataclass(frozen=True)
class Reference:
    what: str  # a sentence: the secret file of the critical receiver, ...
    read_by: str  # the tree's file that reads it
    path: str  # where it must be: a file path, secret/<namespace>/<name>#<key>, env:<NAME>
    command: str  # how to provide it
    kubernetes: str = ""  # the Kubernetes way, when the platform has one

    def as_dict(self) -> dict[str, str]:
        entry = {"what": self.what, "read_by": self.read_by, "path": self.path, "command": self.command}
        if self.kubernetes:
            entry["kubernetes"] = self.kubernetes
        return entry


def references(files: Mapping[str, str]) -> tuple[list[Reference], list[str]]:
    """(what must be provided from outside the tree, problems: references nothing can satisfy)."""
    found: list[Reference] = []
    problems: list[str] = []
    documents = {path: _documents(path, text) for path, text in files.items() if path.endswith((".yml", ".yaml"))}
    config_maps = {(_namespace(doc), doc["metadata"]["name"]) for docs in documents.values() for doc in docs
                   if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and "metadata" in doc}
    secrets_in_tree = {(_namespace(doc), doc["metadata"]["name"]) for docs in documents.values() for doc in docs
                       if isinstance(doc, dict) and doc.get("kind") == "Secret" and "metadata" in doc}
    if "alertmanager/alertmanager.yml" in files:
        found += _alertmanager(documents["alertmanager/alertmanager.yml"])
    for path, docs in sorted(documents.items()):
        if path.startswith("kubernetes/"):
            refs, missing = _kubernetes(path, docs, config_maps, secrets_in_tree)
            found += refs
            problems += missing
        elif path == "prometheus/prometheus.yml":
            problems += _prometheus(docs, files)
    for path, text in sorted(files.items()):
        if path.startswith("systemd/") and path.endswith(".service"):
            for env_file in _ENV_FILE.findall(text):
                template = _template_for(env_file, files)
                command = (f"install -m 0600 {template} {env_file}  # then fill in its placeholders" if template
                           else f"install -m 0600 /dev/null {env_file}  # then write the settings the unit reads")
                found.append(Reference(f"the environment file of {path.rsplit('/', 1)[-1]}", path, env_file, command))
    found += _collector_environment(files, documents)
    unique = {(ref.path, ref.read_by): ref for ref in found}
    return _one_command_per_secret([unique[key] for key in sorted(unique)]), sorted(set(problems))


# kubectl create secret generic NAME [-n NAMESPACE] ... : a Secret is created once, with every key it needs; a second
# create of the same name fails (AlreadyExists) and would leave its keys unset.
_CREATE = re.compile(r"kubectl (?:-n (?P<ns>\S+) )?create secret generic (?P<name>\S+) --from-literal=(?P<key>[^=]+)=")


def _one_command_per_secret(refs: list[Reference]) -> list[Reference]:
    """The first reference to each Secret carries the one command that creates it with all its keys (each from a
    variable of its own); the others say that command covers them."""
    keys: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        for text in (ref.command, ref.kubernetes):
            found = _CREATE.match(text)
            if found:
                group = keys.setdefault((found["ns"] or "default", found["name"]), [])
                if found["key"] not in group:
                    group.append(found["key"])
    seen: set[tuple[str, str]] = set()
    out = []
    for ref in refs:
        fields = {}
        for field_name in ("command", "kubernetes"):
            found = _CREATE.match(getattr(ref, field_name))
            if not found:
                continue
            secret = (found["ns"] or "default", found["name"])
            if secret in seen:
                fields[field_name] = (f"# Secret {secret[1]} in {secret[0]} is created once, with this key among "
                                      f"the others: see the command for {keys[secret][0]}")
            else:
                seen.add(secret)
                literals = " ".join(f'--from-literal={key}="${_variable(key)}"' for key in keys[secret])
                fields[field_name] = f"kubectl -n {secret[0]} create secret generic {secret[1]} {literals}"
        out.append(Reference(ref.what, ref.read_by, ref.path, fields.get("command", ref.command),
                             fields.get("kubernetes", ref.kubernetes)) if fields else ref)
    return out


def _variable(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def _documents(path: str, text: str) -> list[Any]:
    try:
        return [doc for doc in from_yaml_documents(text) if doc is not None]
    except yaml.YAMLError:
        return []


def _namespace(doc: Mapping[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("namespace") or "default")


def _walk(node: Any, trail: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*trail, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*trail, index))
    else:
        yield trail, node


def _alertmanager(docs: list[Any]) -> list[Reference]:
    refs = []
    for document in docs:
        receivers = {index: receiver.get("name") for index, receiver in enumerate(document.get("receivers") or ())}
        for trail, value in _walk(document):
            if not trail or not str(trail[-1]).endswith("_file") or not isinstance(value, str):
                continue
            receiver = receivers.get(trail[1]) if len(trail) > 1 and trail[0] == "receivers" else None
            key = value.rsplit("/", 1)[-1]
            where = f"receiver {receiver}" if receiver else "Alertmanager"
            refs.append(Reference(
                f"the {str(trail[-1]).removesuffix('_file').replace('_', ' ')} of {where}", "alertmanager/alertmanager.yml",
                value,
                # Debian's Alertmanager runs as the prometheus user: it must read the key, nobody else
                f"install -d -m 0750 -o root -g {ALERTMANAGER_GROUP} {SECRETS_DIR} && printf '%s' \"$VALUE\" > {value}"
                f" && chown root:{ALERTMANAGER_GROUP} {value} && chmod 0640 {value}",
                f"kubectl -n {ALERTMANAGER_NAMESPACE} create secret generic {KUBERNETES_SECRET_NAME} "
                f"--from-literal={key}=\"$VALUE\"  # the Alertmanager mounts it through spec.secrets"))
    return refs


def _kubernetes(path: str, docs: list[Any], config_maps: set[tuple[str, str]],
                secrets_in_tree: set[tuple[str, str]]) -> tuple[list[Reference], list[str]]:
    refs, problems = [], []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        namespace = _namespace(doc)
        kind_name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        for trail, value in _walk(doc):
            if len(trail) >= 2 and trail[-2] == "secretKeyRef" and trail[-1] == "name":
                key = _sibling(doc, trail, "key")
                if (namespace, value) not in secrets_in_tree:
                    refs.append(Reference(f"key {key} of Secret {value}, read by {kind_name}", path,
                                          f"secret/{namespace}/{value}#{key}",
                                          f"kubectl -n {namespace} create secret generic {value} "
                                          f"--from-literal={key}=\"$VALUE\""))
            elif trail[-1] == "secretName" or (len(trail) >= 2 and trail[-2] == "secretRef" and trail[-1] == "name"):
                if (namespace, value) not in secrets_in_tree:
                    refs.append(Reference(f"Secret {value}, mounted by {kind_name}", path, f"secret/{namespace}/{value}",
                                          f"kubectl -n {namespace} create secret generic {value} --from-file=<files>"))
            elif (len(trail) >= 2 and trail[-2] in ("configMapKeyRef", "configMapRef", "configMap")
                  and trail[-1] == "name") and (namespace, value) not in config_maps:
                problems.append(f"{path}: {kind_name} reads ConfigMap {namespace}/{value}, which no manifest defines")
    return refs, problems


def _sibling(doc: Any, trail: tuple, key: str) -> str:
    node = doc
    for step in trail[:-1]:
        node = node[step]
    return str(node.get(key, ""))


def _prometheus(docs: list[Any], files: Mapping[str, str]) -> list[str]:
    problems = []
    for doc in docs:
        for job in doc.get("scrape_configs") or ():
            for sd in job.get("file_sd_configs") or ():
                for name in sd.get("files") or ():
                    if f"prometheus/{name}" not in files:
                        problems.append(f"prometheus.yml job {job.get('job_name')} reads {name}, which the tree lacks")
    return problems


def _template_for(env_file: str, files: Iterable[str]) -> str | None:
    base = env_file.rsplit("/", 1)[-1]
    return next((path for path in sorted(files) if path.rsplit("/", 1)[-1].startswith(base)
                 and not path.endswith(".service")), None)


def _collector_environment(files: Mapping[str, str], documents: Mapping[str, list[Any]]) -> list[Reference]:
    """Variables a Collector config expands that no manifest or unit in the tree sets."""
    set_somewhere: set[str] = set()
    for docs in documents.values():
        for doc in docs:
            for trail, value in _walk(doc):
                if len(trail) >= 2 and trail[-1] == "name" and "env" in trail and isinstance(value, str):
                    set_somewhere.add(value)
    for path, text in files.items():
        if path.startswith("systemd/"):
            set_somewhere.update(_SETTING.findall(text))
    refs = []
    for path, text in sorted(files.items()):
        if path.startswith("otel/"):
            for name in sorted(set(_ENV_REF.findall(text)) - set_somewhere):
                refs.append(Reference(f"environment variable {name} of the Collector", path, f"env:{name}",
                                      f"export {name}=\"$VALUE\"  # in the Collector's environment (its unit or Pod)"))
    return refs
