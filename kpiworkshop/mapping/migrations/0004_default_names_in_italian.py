"""The Italian names and descriptions of the default goals and audiences, for the rows that
still carry the default English text (a renamed default keeps its own name everywhere, as it
did). The texts are written out here, not taken from the translation catalogue, so the
migration gives the same result whatever the catalogue says later."""

from django.db import migrations

#: key -> (English name, Italian name, English description, Italian description)
GOALS = {
    "revenue": (
        "Grow revenue and cross/up-selling",
        "Aumentare i ricavi e il cross/up-selling",
        "Contacts that sell, keep or upgrade a customer's products.",
        "Contatti che vendono, mantengono o migliorano i prodotti di un cliente.",
    ),
    "loyalty": (
        "Increase loyalty",
        "Aumentare la fedeltà",
        "Customers who would recommend us and stay (NPS, satisfaction).",
        "Clienti che ci raccomanderebbero e restano (NPS, soddisfazione).",
    ),
    "churn": (
        "Reduce churn and retain customers",
        "Ridurre il churn e trattenere i clienti",
        "Fewer customers lost after a contact; win-back of those about to leave.",
        "Meno clienti persi dopo un contatto; recupero di chi sta per andarsene.",
    ),
    "cost": (
        "Reduce repeat contacts and cost to serve",
        "Ridurre i ricontatti e il costo del servizio",
        "Solve it the first time, on the right channel, at a sustainable cost.",
        "Risolvere al primo colpo, sul canale giusto, a un costo sostenibile.",
    ),
    "selfcare": (
        "Increase self-care adoption",
        "Aumentare l'uso del self-care",
        "Customers who solve simple requests by themselves, with the chatbot or the app.",
        "Clienti che risolvono da soli le richieste semplici, con il chatbot o l'app.",
    ),
    "employee": (
        "Improve employee experience and retention",
        "Migliorare l'esperienza e la permanenza dei collaboratori",
        "Agents who are supported, trained and stay.",
        "Operatori supportati, formati, che restano.",
    ),
    "risk": (
        "Prevent risks and catch opportunities",
        "Prevenire i rischi e cogliere le opportunità",
        "Complaints, compliance and reputation risks seen early; ideas from the front line.",
        "Reclami, rischi di conformità e di reputazione visti per tempo; idee dalla prima linea.",
    ),
}
AUDIENCES = {
    "agents": (
        "Agents",
        "Operatori",
        "The people who answer customers, in house.",
        "Le persone che rispondono ai clienti, interne.",
    ),
    "team_leaders": (
        "Team leaders",
        "Team leader",
        "Supervisors who coach a team day by day.",
        "Supervisori che guidano un team giorno per giorno.",
    ),
    "cc_managers": (
        "Contact-centre managers",
        "Responsabili del contact center",
        "Who runs a site or the whole contact centre.",
        "Chi dirige una sede o l'intero contact center.",
    ),
    "cx_leadership": (
        "CX leadership",
        "Direzione CX",
        "Customer-experience and customer-service directors.",
        "Direttori della customer experience e del servizio clienti.",
    ),
    "planning": (
        "Planning / WFM",
        "Pianificazione / WFM",
        "Forecasting, scheduling and real-time management.",
        "Previsioni, turni e gestione in tempo reale.",
    ),
    "digital": (
        "Digital / self-care team",
        "Team digitale / self-care",
        "Who runs the chatbot, the app and the self-care pages.",
        "Chi gestisce il chatbot, l'app e le pagine di self-care.",
    ),
    "outsourced": (
        "Outsourced partners",
        "Partner in outsourcing",
        "Partner companies that handle contacts for us.",
        "Aziende partner che gestiscono contatti per noi.",
    ),
    "customers": (
        "Customers",
        "Clienti",
        "For published service levels.",
        "Per i livelli di servizio pubblicati.",
    ),
}


def fill_italian_names(apps, schema_editor):
    for model_name, table in (("BusinessGoal", GOALS), ("Audience", AUDIENCES)):
        model = apps.get_model("mapping", model_name)
        for key, (name, name_it, description, description_it) in table.items():
            rows = model.objects.filter(key=key)
            rows.filter(name=name, name_it="").update(name_it=name_it)
            rows.filter(description=description, description_it="").update(
                description_it=description_it
            )


def clear_italian_names(apps, schema_editor):
    for model_name, table in (("BusinessGoal", GOALS), ("Audience", AUDIENCES)):
        model = apps.get_model("mapping", model_name)
        for key, (_name, name_it, _description, description_it) in table.items():
            rows = model.objects.filter(key=key)
            rows.filter(name_it=name_it).update(name_it="")
            rows.filter(description_it=description_it).update(description_it="")


class Migration(migrations.Migration):
    dependencies = [("mapping", "0003_goal_audience_names_per_language")]

    operations = [migrations.RunPython(fill_italian_names, clear_italian_names)]
