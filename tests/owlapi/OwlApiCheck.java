import java.util.List;
import java.util.stream.Collectors;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

/**
 * Opens an ontology the way Protégé does ("Open from URL": the OWL API's own loader, with its
 * default Accept header) and checks it against the OWL 2 DL profile.
 *
 * <p>Usage: {@code java OwlApiCheck URL}. Prints one {@code key: value} line per figure, one
 * {@code violation: ...} line per OWL 2 DL profile violation and one {@code unparsed: ...} line
 * per triple the RDF parser could not turn into an axiom (a triple Protégé would silently drop).
 * Exit status 0 when the ontology is in OWL 2 DL and every triple was understood, 1 otherwise.
 */
public final class OwlApiCheck {
    private OwlApiCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java OwlApiCheck URL");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(IRI.create(args[0]));
        OWLDocumentFormat format = manager.getOntologyFormat(ontology);

        System.out.println("format: " + (format == null ? "unknown" : format.getKey()));
        System.out.println("ontology: " + ontology.getOntologyID().getOntologyIRI().map(IRI::toString).orElse(""));
        System.out.println("version: " + ontology.getOntologyID().getVersionIRI().map(IRI::toString).orElse(""));
        System.out.println("axioms: " + ontology.getAxiomCount());
        System.out.println("logical axioms: " + ontology.getLogicalAxiomCount());
        System.out.println("classes: " + ontology.getClassesInSignature(Imports.EXCLUDED).size());
        System.out.println("object properties: " + ontology.getObjectPropertiesInSignature(Imports.EXCLUDED).size());
        System.out.println("data properties: " + ontology.getDataPropertiesInSignature(Imports.EXCLUDED).size());
        System.out.println("annotation properties: " + ontology.getAnnotationPropertiesInSignature(Imports.EXCLUDED).size());

        int unparsed = 0;
        if (format != null && format.getOntologyLoaderMetaData().isPresent()) {
            Object meta = format.getOntologyLoaderMetaData().get();
            if (meta instanceof RDFParserMetaData) {
                List<RDFTriple> triples =
                    ((RDFParserMetaData) meta).getUnparsedTriples().collect(Collectors.toList());
                for (RDFTriple triple : triples) {
                    System.out.println("unparsed: " + triple);
                }
                unparsed = triples.size();
            }
        }
        System.out.println("unparsed triples: " + unparsed);

        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println("violation: " + violation);
        }
        System.out.println("OWL 2 DL violations: " + report.getViolations().size());
        System.out.println("in OWL 2 DL profile: " + report.isInProfile());
        System.exit(report.isInProfile() && unparsed == 0 ? 0 : 1);
    }
}
