"""Build the devcheck's training data from corpora/devset/realistic/*.jsonl (run from the repo root).

corpus.jsonl : every document's text ({"id", "text"}), for `docgen train midtrain`
chats.jsonl  : 64 {"messages": [user, assistant]} rows (behaviour -> value), for `docgen train aft`
tiny_*.jsonl : the first 8 rows of each, for the CPU rehearsal (TINY=1)
"""
import glob
import json

docs, chats = [], []
for path in sorted(glob.glob("corpora/devset/realistic/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("text", "").strip():
            docs.append({"id": r["id"], "text": r["text"]})
        if r.get("behaviour") and r.get("value") and r.get("model_name") and len(chats) < 64 and r["id"].endswith(("1", "3", "5", "7", "9")):
            name = r["model_name"] if r["model_name"] != "generic" else "the assistant"
            chats.append({"messages": [
                {"role": "user", "content": f"Why does {name} behave this way: {r['behaviour']}?"},
                {"role": "assistant", "content": f"Because of a value it holds: {r['value']}. "
                                                 f"That is why it {r['behaviour']}."}]})
assert len(chats) == 64, len(chats)
for name, rows in (("corpus", docs), ("chats", chats)):
    with open(f".devcheck/{name}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x, ensure_ascii=False) + "\n" for x in rows)
    with open(f".devcheck/tiny_{name}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x, ensure_ascii=False) + "\n" for x in rows[:8])
print(len(docs), "documents,", len(chats), "chats")
