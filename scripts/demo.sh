#!/usr/bin/env bash
# The main job on bundled sample data: profile, split, segment customers,
# predict churn, evaluate, inspect, score, and a short summary. Outputs go to demo-out/ and models/.
set -euo pipefail
P="${1:-.build/release/persona}"
OUT=demo-out
mkdir -p "$OUT" models
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Profile the bundled customer sample"
"$P" describe datasets/customers.csv

step "2. Hold out 20% of customers for evaluation"
"$P" split --data datasets/customers.csv --test-fraction 0.2 --seed 7 \
    --train-out "$OUT/customers-train.csv" --test-out "$OUT/customers-test.csv"

step "3. Segment the customer base with k-means (k=5)"
"$P" train kmeans --data "$OUT/customers-train.csv" --k 5 --n-init 4 --seed 7 --out models/segments.safetensors

step "4. Evaluate the segmentation on held-out customers"
"$P" evaluate models/segments.safetensors --data "$OUT/customers-test.csv"

step "5. Inspect the saved model"
"$P" inspect models/segments.safetensors

step "6. Score every customer"
"$P" score models/segments.safetensors --data datasets/customers.csv --out "$OUT/customer-segments.csv"
head -5 "$OUT/customer-segments.csv"

step "7. Predict churn on the bundled churn sample"
"$P" split --data datasets/churn.csv --test-fraction 0.25 --stratify churned --seed 7 \
    --train-out "$OUT/churn-train.csv" --test-out "$OUT/churn-test.csv"
"$P" train logreg --data "$OUT/churn-train.csv" --target churned --out models/churn.safetensors
"$P" inspect models/churn.safetensors | tail -n 34
"$P" evaluate models/churn.safetensors --data "$OUT/churn-test.csv" --report "$OUT/churn-report.html"
"$P" score models/churn.safetensors --data datasets/churn.csv --top 20 --out "$OUT/churn-call-list.csv"
head -5 "$OUT/churn-call-list.csv"

step "8. Explain churn with a decision tree"
"$P" train tree --data "$OUT/churn-train.csv" --target churned --max-depth 3 --class-weight balanced --out models/churn-tree.safetensors
"$P" inspect models/churn-tree.safetensors --rules
"$P" evaluate models/churn-tree.safetensors --data "$OUT/churn-test.csv" | head -n 6

step "9. Segment by purchase behaviour: RFM features from the transaction sample"
"$P" features rfm --data datasets/transactions.csv --customer customer_id --time timestamp --amount amount \
    --as-of 2026-07-01 --out "$OUT/rfm.csv"
"$P" train kmeans --data "$OUT/rfm.csv" --k 4 --seed 7 --n-init 4 \
    --features recency_days,frequency,monetary_total,monetary_mean,tenure_days --out models/rfm-segments.safetensors
"$P" profile models/rfm-segments.safetensors --data "$OUT/rfm.csv"

step "10. Recommend items from the interaction sample"
"$P" split interactions --data datasets/interactions.csv --by user --user user_id --test-fraction 0.2 --seed 7 \
    --train-out "$OUT/interactions-train.csv" --test-out "$OUT/interactions-test.csv"
"$P" train als --data "$OUT/interactions-train.csv" --user user_id --item item_id --rating rating --implicit \
    --factors 8 --reg 0.1 --seed 7 --out models/recs.safetensors
"$P" evaluate models/recs.safetensors --data "$OUT/interactions-test.csv"
"$P" recommend models/recs.safetensors --all-users --top 10 --exclude-seen --out "$OUT/recommendations.csv"

step "11. A larger generated base: 200,000 customers, generated, segmented and scored"
"$P" datasets generate customers --rows 200000 --seed 11 --out "$OUT/customers-200k.csv"
"$P" train kmeans --data "$OUT/customers-200k.csv" --k 5 --seed 11 --out models/segments-200k.safetensors
"$P" score models/segments-200k.safetensors --data "$OUT/customers-200k.csv" --out "$OUT/segments-200k.csv"

step "12. Export for serving: ONNX for every model, SQL for the churn models"
"$P" export models/churn.safetensors --format onnx --out "$OUT/churn.onnx"
"$P" export models/churn-tree.safetensors --format onnx --out "$OUT/churn-tree.onnx" | head -n 1
"$P" export models/segments.safetensors --format onnx --out "$OUT/segments.onnx" | head -n 1
"$P" export models/recs.safetensors --format onnx --top 10 --out "$OUT/recs.onnx" | head -n 1
"$P" export models/churn.safetensors --format sql --table customers --out "$OUT/churn.sql"
"$P" export models/churn-tree.safetensors --format sql --table customers --out "$OUT/churn-tree.sql"

step "Summary"
SIL=$("$P" evaluate models/segments.safetensors --data "$OUT/customers-test.csv" --json | grep '"silhouette"' | tr -d ' ,' | cut -d: -f2)
AUC=$("$P" evaluate models/churn.safetensors --data "$OUT/churn-test.csv" --json | grep '"auc"' | tr -d ' ,' | cut -d: -f2)
echo "segments:         models/segments.safetensors (k-means, 5 segments), held-out silhouette $SIL"
echo "churn model:      models/churn.safetensors (logistic regression), held-out AUC $AUC"
echo "call list:        $OUT/churn-call-list.csv (the 20 customers most likely to churn)"
echo "churn report:     $OUT/churn-report.html (ROC, gains, lift, calibration; opens offline in a browser)"
echo "churn rules:      models/churn-tree.safetensors (persona inspect models/churn-tree.safetensors --rules)"
echo "RFM segments:     models/rfm-segments.safetensors (persona profile ... --data $OUT/rfm.csv)"
echo "recommendations:  $OUT/recommendations.csv (top 10 unseen items for every user)"
echo "scored customers: $OUT/customer-segments.csv ($(($(wc -l < "$OUT/customer-segments.csv") - 1)) rows)"
echo "large run:        $OUT/segments-200k.csv ($(($(wc -l < "$OUT/segments-200k.csv") - 1)) rows)"
echo "for serving:      $OUT/{churn,churn-tree,segments,recs}.onnx and $OUT/{churn,churn-tree}.sql"
echo "Next: see README.md and the walkthroughs in notebooks-cli/"
