import ArgumentParser
import PersonaCore

struct Persona: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona",
        abstract: "A machine-learning workbench for customer analytics.",
        discussion: """
        Segment customers, predict churn, recommend items. A first session:

          persona datasets generate customers --rows 20000 --seed 7 --out customers.csv
          persona describe customers.csv
          persona train kmeans --data customers.csv --k 5 --seed 7 --out models/segments.safetensors
          persona evaluate models/segments.safetensors --data customers.csv
          persona inspect models/segments.safetensors
          persona score models/segments.safetensors --data customers.csv --out segments.csv

          persona datasets generate churn --rows 20000 --seed 7 --out churn.csv
          persona train logreg --data churn.csv --target churned --out models/churn.safetensors
          persona evaluate models/churn.safetensors --data churn.csv
          persona score models/churn.safetensors --data churn.csv --top 500 --out at-risk.csv

          persona datasets generate interactions --rows 40000 --seed 7 --out interactions.csv
          persona train als --data interactions.csv --user user_id --item item_id --rating rating --implicit --out models/recs.safetensors
          persona recommend models/recs.safetensors --user U000001 --top 10 --exclude-seen

        Exit codes: 0 success, 1 bad data or model (the message names the file,
        line and column), 2 usage error.
        """,
        version: PersonaVersion.tool,
        subcommands: [Datasets.self, Describe.self, Clean.self, Split.self, Train.self, Evaluate.self, Score.self, Export.self, Inspect.self, Run.self, Compare.self, CV.self, Features.self, Tune.self, ABTest.self]
            + familyCommands.flatMap { $0.others }
    )
}
