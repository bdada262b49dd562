"""persona clean --match on generated dirty customer records (two systems,
repeated customers with other ids, case, spacing and phone formats, missing
values) against the truth the generator writes and against the same matching
done with the recordlinkage package (blocking on the normalised e-mail and on
the normalised phone number, exact comparison): pairwise precision and recall
of the linked records."""
import itertools

import pandas as pd
import recordlinkage

from common import Persona, check, parse_args, workdir


def pairs_of(groups):
    out = set()
    for members in groups:
        out.update(itertools.combinations(sorted(members), 2))
    return out


def score(found, truth):
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0), (tp / len(truth) if truth else 1.0)


args = parse_args()
with workdir() as d:
    persona = Persona(args.persona, d)
    persona("datasets", "generate", "dirty-customers", "--rows", 4000, "--seed", 3, "--out", "dirty.csv")
    raw = pd.read_csv(persona.path("dirty.csv"), dtype=str, keep_default_na=False)
    raw = raw.drop_duplicates().reset_index(drop=True)        # exact duplicates are dropped first, by both
    truth = pairs_of(raw.groupby("true_customer").groups.values())

    persona("clean", "--data", "dirty.csv", "--out", "clean.csv", "--country", "GB", "--match", "email,phone", "--log", "log.csv")
    ours = pd.read_csv(persona.path("clean.csv"), dtype=str, keep_default_na=False)
    check(ours["customer_id"].tolist() == raw["customer_id"].tolist(), f"the same {len(raw)} records kept as pandas' drop_duplicates")
    found = pairs_of(ours.groupby("cluster_id").groups.values())
    precision, recall = score(found, truth)

    # recordlinkage: the same rule, as its users write it
    frame = raw.copy()
    frame["email_n"] = frame["email"].str.strip().str.lower()
    digits = frame["phone"].str.replace(r"\D", "", regex=True)
    frame["phone_n"] = digits.where(~digits.str.startswith("44"), "0" + digits.str[2:])
    frame.loc[frame["email_n"] == "", "email_n"] = None
    frame.loc[frame["phone_n"] == "", "phone_n"] = None
    candidates = recordlinkage.Index()
    candidates.block("email_n")
    candidates.block("phone_n")
    links = candidates.index(frame)
    theirs = {tuple(sorted(p)) for p in links}
    rl_precision, rl_recall = score(theirs, truth)
    print(f"pairs: truth {len(truth)}, persona {len(found)}, recordlinkage {len(theirs)}")
    check(precision >= 0.99, f"persona clean --match email,phone: pairwise precision {precision:.4f} (recordlinkage {rl_precision:.4f})")
    check(recall >= rl_recall, f"persona clean --match email,phone: pairwise recall {recall:.4f}, recordlinkage's {rl_recall:.4f} "
                               "(clusters join records linked through a third, pairs do not)")
    check(abs(precision - rl_precision) <= 0.01, "the same precision as recordlinkage on the same rule, within 0.01")
